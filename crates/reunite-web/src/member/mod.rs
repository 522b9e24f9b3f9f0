//! The mother's own pages (member accounts): her questions, answers and messages, her trips.

pub(crate) mod home;
pub(crate) mod travel;

use crate::OfficeState;
use crate::extract::MemberUser;
use crate::kernel::error::WebError;
use axum::Router;

/// Every route of the mother's pages.
pub(crate) fn routes() -> Router<OfficeState> {
    Router::new().merge(home::routes()).merge(travel::routes())
}

/// The case of the signed-in mother (a member account belongs to exactly one case).
async fn her_case(state: &OfficeState, m: &MemberUser) -> Result<String, WebError> {
    state
        .store()
        .member_case(&m.user.id)
        .await?
        .ok_or(WebError::Forbidden)
}
