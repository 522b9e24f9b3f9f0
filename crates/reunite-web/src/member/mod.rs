//! The mother's own pages (member accounts): her questions, answers and messages, her trips.

pub(crate) mod home;
pub(crate) mod travel;

use crate::OfficeState;
use axum::Router;

/// Every route of the mother's pages.
pub(crate) fn routes() -> Router<OfficeState> {
    Router::new().merge(home::routes()).merge(travel::routes())
}
