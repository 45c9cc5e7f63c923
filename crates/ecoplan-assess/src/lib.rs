//! Ecological assessment: ecosystem services, sensitivity, protection importance (双评价), InVEST-compatible models.
