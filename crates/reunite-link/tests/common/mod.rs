//! Helpers shared by the integration tests.

use reunite_domain::record::{Case, TracingRequest};

/// The request a case's own data would make (the mother sought, her first child seeking).
pub fn as_request(c: &Case) -> TracingRequest {
    TracingRequest {
        id: format!("r-{}", c.id),
        sought: c.mother.clone(),
        seeker: c.children.first().map(|ch| ch.person()).unwrap_or_default(),
        relation: None,
        father: c.father.clone(),
        separation: c.separation.clone(),
        residence_cn: c.residence_cn.clone(),
    }
}
