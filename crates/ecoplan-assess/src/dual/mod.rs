//! 双评价 ecological assessment (METHODS §1): 生态系统服务功能重要性 (水源涵养, 水土保持, 防风固沙,
//! 生物多样性维护), 生态脆弱性 (水土流失, 土地沙化, 石漠化, 盐渍化), grading, integration into
//! 生态保护重要性, patch clean-up and area tables. Entry point: [`chain::run_assessment`].

pub mod areas;
pub mod chain;
pub mod grading;
pub mod patches;
pub mod rusle;
pub mod rweq;
pub mod sensitivity;
pub mod water;

pub use chain::{
    derive_terrain, run_assessment, run_assessment_owned, AssessParams, AssessmentOutputs,
    RegionLayers, Terrain,
};
