//! The second approver's view of a match: what the decision needs, not the records. The
//! matcher's probability and field-by-field explanation (which fields agree, which
//! disagree), how the mother's consent was recorded and by whom each step was taken, and
//! where each side lives at prefecture level only. Any caseworker other than the verifier
//! may approve (the domain refuses the verifier); to read more she opens the case under
//! break-glass, which is recorded and shown to the case's team.

use super::{ExplainRow, StepRow, refusal_text, short_id, text_problem};
use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, render, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::Place;
use reunite_domain::review::{MatchState, Step};
use reunite_store::StoreError;
use serde::Deserialize;

/// Administrative suffixes of Chinese place names: a province or autonomous region, and
/// the units that are always prefecture-level (prefecture, autonomous prefecture, league).
/// A "市" may be a prefecture-level or a county-level city (密山市 is a county-level city of
/// 鸡西市); without a gazetteer it cannot be told, so it is never shown.
const ABOVE: &[&str] = &["省", "自治区", "自治區"];
const PREFECTURE: &[&str] = &["自治州", "州", "地区", "地區", "盟"];

/// A place at prefecture level at most: the leading province, and the prefecture when it is
/// certainly one ("吉林省 延边朝鲜族自治州 和龙市 八家子镇" → "吉林省 延边朝鲜族自治州";
/// "黑龙江省 牡丹江市 宁安市" → "黑龙江省"); the country alone when the text has no such
/// structure (a town name in Latin letters says too much).
pub(crate) fn prefecture_level(t: Tr, place: &Option<Place>) -> String {
    let Some(p) = place else {
        return t.s("case.unknown").to_string();
    };
    let mut kept: Vec<&str> = Vec::new();
    for token in p
        .text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
    {
        if token.is_empty() {
            continue;
        }
        if ABOVE.iter().any(|s| token.ends_with(s)) && kept.is_empty() {
            kept.push(token);
            continue;
        }
        if PREFECTURE.iter().any(|s| token.ends_with(s)) {
            kept.push(token);
        }
        break;
    }
    let country = match p.country.as_deref() {
        Some("CN") => t.s("approval.country.cn"),
        Some("KP") => t.s("approval.country.kp"),
        Some("KR") => t.s("approval.country.kr"),
        _ => "",
    };
    if kept.is_empty() {
        if country.is_empty() {
            t.s("approval.withheld").to_string()
        } else {
            format!("{country} ({})", t.s("approval.withheld"))
        }
    } else {
        kept.join(" ")
    }
}

#[derive(Template)]
#[template(path = "office/review/approval.html")]
pub(crate) struct ApprovalPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    case_id: String,
    state: &'static str,
    probability: String,
    weight: String,
    explain: Vec<ExplainRow>,
    consent: String,
    req_residence: String,
    case_residence: String,
    steps: Vec<StepRow>,
    may_approve: bool,
    note: String,
    error: Option<String>,
    max_text: usize,
}

async fn approval_page(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    note: String,
    error: Option<String>,
) -> Result<ApprovalPage, WebError> {
    let t = staff.t();
    let c = state.store().candidate(id).await?;
    // Both reads are audited by the store as sensitive reads; only the residence at
    // prefecture level leaves this function.
    let (payload, case) = super::open_both_sides(state, staff, &c, "approval").await?;
    let steps = super::step_rows(state, staff, id, false).await?;
    let consent = c
        .facts
        .consent
        .map(|by| t.label(by).to_string())
        .unwrap_or_else(|| t.s("approval.no_consent").to_string());
    Ok(ApprovalPage {
        t,
        title: t.f("approval.title", &[("id", &short_id(id))]),
        nav: staff.nav(&format!("/office/matches/{}/approval", enc(id))),
        id: id.to_string(),
        case_id: c.summary.case_id.clone(),
        state: t.label(c.summary.state),
        probability: format!("{:.4}", c.detail.probability),
        weight: format!("{:+.2}", c.detail.match_weight),
        explain: c
            .detail
            .explain
            .iter()
            .map(|e| super::explain_row(t, e))
            .collect(),
        consent,
        req_residence: prefecture_level(t, &payload.request.residence_cn),
        case_residence: prefecture_level(t, &case.residence_cn),
        steps,
        may_approve: c.summary.state == MatchState::Consented
            && c.facts.verified_by.as_deref() != Some(staff.user.id.0.as_str()),
        note,
        error,
        max_text: super::MAX_TEXT,
    })
}

/// `GET /office/matches/{id}/approval`.
pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Approval)?;
    let here = format!("/office/matches/{}/approval", enc(&id));
    staff.recent(&state, &here)?;
    let page = approval_page(&state, &staff, &id, String::new(), None).await?;
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ApproveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /office/matches/{id}/approval`: the second approval.
pub(crate) async fn approve(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<ApproveForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Approve, Subject::Approval)?;
    staff.check_csrf(&form.csrf)?;
    let here = format!("/office/matches/{}/approval", enc(&id));
    staff.recent(&state, &here)?;
    let t = staff.t();
    if let Some(p) = text_problem(t, &form.note, false) {
        let page = approval_page(&state, &staff, &id, form.note.clone(), Some(p)).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let again = |e: String| approval_page(&state, &staff, &id, form.note.clone(), Some(e));
    match state
        .store()
        .match_step(
            &id,
            Step::Approve,
            &staff.user.id,
            Some(form.note.trim()),
            None,
            state.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}?done=1")).into_response()),
        Err(StoreError::Refused(r)) => Ok(render_status(
            StatusCode::CONFLICT,
            &again(refusal_text(t, r)).await?,
        )),
        Err(StoreError::Conflict(_)) => Ok(render_status(
            StatusCode::CONFLICT,
            &again(t.s("review.changed").into()).await?,
        )),
        Err(e) => Err(WebError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reunite_domain::Lang;

    fn at(text: &str, country: Option<&str>) -> String {
        prefecture_level(
            Tr::new(Lang::En),
            &Some(Place {
                text: text.into(),
                country: country.map(String::from),
            }),
        )
    }

    #[test]
    fn only_province_and_prefecture_remain() {
        assert_eq!(
            at("吉林省 延边朝鲜族自治州 和龙市 八家子镇", Some("CN")),
            "吉林省 延边朝鲜族自治州"
        );
        // A city may be county-level: never shown.
        assert_eq!(at("黑龙江省 牡丹江市 宁安市", Some("CN")), "黑龙江省");
        assert_eq!(at("黑龙江省 密山市", Some("CN")), "黑龙江省");
        assert_eq!(at("延边州 龙井市", None), "延边州");
        // A town named in Latin letters, or a village alone, says too much: the country.
        let withheld = at("Bajiazi, Helong", Some("CN"));
        assert!(!withheld.contains("Bajiazi") && !withheld.contains("Helong"));
        assert!(withheld.starts_with("China"), "{withheld}");
        assert!(!at("八家子镇", None).contains("八家子"));
    }
}
