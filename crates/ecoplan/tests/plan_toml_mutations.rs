//! The plan.toml fuzz target's property on stable Rust: `ecoplan validate` on hundreds of
//! deterministic mutations of the demo plan reports problems (exit 0 or 1) and never panics.

use std::process::Command;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Byte edits plus TOML-shaped edits (brackets, quotes, equals signs, huge numbers, duplicated lines).
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    const TOKENS: [&[u8]; 10] = [
        b"[",
        b"]]",
        b"\"",
        b"=",
        b"\n[region]\n",
        b"99999999999999999999",
        b"-1",
        b"nan",
        b"\xE4\xBA",
        b"{a = }",
    ];
    let mut m = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(m.len() + 1);
        match rng.below(4) {
            0 if i < m.len() => m[i] = rng.next() as u8,
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                m.splice(i..i, t.iter().copied());
            }
            2 => {
                let end = (i + 1 + rng.below(40)).min(m.len());
                m.drain(i.min(end)..end);
            }
            _ => {
                let line_start = m[..i]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let line_end = m[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(m.len(), |p| i + p + 1);
                let line = m[line_start..line_end].to_vec();
                m.splice(line_end..line_end, line);
            }
        }
    }
    m
}

#[test]
fn validate_never_panics_on_mutated_plans() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let seed = std::fs::read(root.join("data/demo/plan.toml")).expect("demo plan");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut with_problems = 0;
    for i in 0..150 {
        let path = dir.path().join(format!("m{i}.toml"));
        std::fs::write(&path, mutate(&seed, &mut rng)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ecoplan"))
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "validate panicked on {}:\n{stderr}",
            path.display()
        );
        match out.status.code() {
            Some(0) => {}
            Some(1) => with_problems += 1,
            other => panic!("validate exited {other:?} on {}:\n{stderr}", path.display()),
        }
    }
    // Outside the demo folder the plan's relative input paths are missing, so every run must
    // report problems: proof that the validator ran rather than exiting early.
    assert_eq!(with_problems, 150);
}
