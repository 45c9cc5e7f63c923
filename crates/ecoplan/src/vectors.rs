//! Small vector helpers the CLI needs on top of `ecoplan_io::vector`.

use anyhow::Result;
use ecoplan_grid::Crs;
use ecoplan_io::crs::CrsTransform;
use ecoplan_io::vector::Layer;
use geo::MapCoords;

/// A copy of `layer` with every coordinate transformed to `to`. Fails if the layer has no CRS
/// or a coordinate cannot be transformed (the message names the feature).
pub fn reproject_layer(layer: &Layer, to: &Crs) -> Result<Layer> {
    let from = layer.crs.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "layer {} has no CRS, so it cannot be reprojected",
            layer.name
        )
    })?;
    let t = CrsTransform::new(from, to)?;
    let mut out = layer.clone();
    out.crs = Some(to.clone());
    if t.is_identity() {
        return Ok(out);
    }
    for (i, f) in out.features.iter_mut().enumerate() {
        if let Some(g) = f.geometry.take() {
            let g2 = g.try_map_coords(|c| {
                t.transform(c.x, c.y)
                    .map(|(x, y)| geo::coord! { x: x, y: y })
            });
            f.geometry = Some(g2.map_err(|e| anyhow::anyhow!("feature {i}: {e}"))?);
        }
    }
    Ok(out)
}
