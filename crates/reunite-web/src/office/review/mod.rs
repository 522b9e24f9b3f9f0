//! Match review in the office: the queue of candidates the matcher proposed, one candidate
//! with the request and the case side by side and the matcher's field-by-field explanation,
//! the steps of `reunite_domain::review` (the store refuses what the rules refuse), the
//! relay to the mother, and member accounts for mothers.
//!
//! Who may do what is the policy module's (written down in ARCHITECTURE.md): a match opens
//! for its case's caseworker and team (re-authenticated, both sides audited as sensitive
//! reads by the store), or under break-glass; the steps that act for the mother — verify,
//! reject, ask her, record her answer, invite her, write to her, disclose — belong to the
//! case's team; the second approval to any other caseworker, through the approval view
//! (`approval.rs`), which shows what the decision needs and not the records.

mod approval;

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::office::cases::{PersonView, person_view, place_text, staff_names};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_domain::review::{MatchState, Refusal, Step};
use reunite_domain::{Role, Username};
use reunite_store::{CaseActor, FROM_OFFICE, NewUser, RequestPayload, StoreError};
use serde::Deserialize;

/// Longest note, excerpt or message.
const MAX_TEXT: usize = crate::public::intake::form::MAX_NOTE;
/// Rows in the queue.
const QUEUE_LIMIT: i64 = 500;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/matches", get(queue))
        .route("/office/matches/{id}", get(view))
        .route("/office/matches/{id}/step", post(step))
        .route(
            "/office/matches/{id}/approval",
            get(approval::view).post(approval::approve),
        )
        .route("/office/matches/{id}/message", post(message_mother))
        .route(
            "/office/cases/{id}/member",
            get(member_page).post(member_create),
        )
}

/// The message key of a matcher's comparison field or level (`same day, other calendar` →
/// `…same_day_other_calendar`).
fn explain_key(prefix: &str, code: &str) -> String {
    let mut k = String::with_capacity(prefix.len() + code.len());
    k.push_str(prefix);
    for c in code.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && k.ends_with('_')) {
            k.push(c);
        }
    }
    k
}

/// One line of the matcher's explanation in the reader's language (the code itself if a
/// later matcher brings a field or level this build has no words for).
fn explain_row(t: Tr, e: &reunite_domain::ExplainEntry) -> ExplainRow {
    let words = |prefix: &str, code: &str| {
        let k = explain_key(prefix, code);
        if crate::kernel::i18n::has_key(&k) {
            t.s(&k).to_string()
        } else {
            code.to_string()
        }
    };
    ExplainRow {
        field: words("explain.field.", &e.field),
        level: words("explain.level.", &e.level),
        bf: format!("{:+.2}", e.log2_bf),
        against: e.log2_bf < 0.0,
    }
}

fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Why a text for the mother or a note may not be stored, in the staff member's language.
fn text_problem(t: Tr, text: &str, required: bool) -> Option<String> {
    // The same rules as a reply to a seeker (empty, too long, a sensitive word); an optional
    // text may be left empty.
    if !required && text.trim().is_empty() {
        None
    } else {
        crate::office::requests::reply_problem(t, text.trim())
    }
}

// ---------------------------------------------------------------------------------------
// Queue

#[cfg(test)]
mod explain_tests {
    use super::explain_key;
    use crate::kernel::i18n::has_key;

    /// Every field and level the matcher explains has words in all three languages.
    #[test]
    fn every_field_and_level_of_the_matcher_has_words() {
        for (i, field) in reunite_link::compare::FIELDS.iter().enumerate() {
            let k = explain_key("explain.field.", field);
            assert!(has_key(&k), "{k}");
            for level in reunite_link::compare::levels(i).iter().chain(&["missing"]) {
                let k = explain_key("explain.level.", level);
                assert!(has_key(&k), "{k}");
            }
        }
        assert_eq!(
            explain_key("explain.level.", "same day, other calendar"),
            "explain.level.same_day_other_calendar"
        );
    }
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct QueueQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    case: Option<String>,
}

pub(crate) struct QueueRow {
    id: String,
    short: String,
    state: &'static str,
    probability: String,
    request: String,
    case: String,
    updated: String,
}

/// A match waiting for a second approver, as someone outside its case sees it.
pub(crate) struct ApprovalRow {
    id: String,
    short: String,
    probability: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "office/review/list.html")]
pub(crate) struct QueuePage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    rows: Vec<QueueRow>,
    approvals: Vec<ApprovalRow>,
    states: Vec<(&'static str, &'static str, bool)>,
    all_open: bool,
}

pub(crate) async fn queue(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Match)?;
    let t = staff.t();
    let filter = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(MatchState::parse(s).ok_or(WebError::BadRequest)?),
        None => None,
    };
    let store = state.store();
    // Only matches of cases she may open; consented ones elsewhere wait for a second
    // approver and are listed apart, with nothing but their numbers.
    let visible = store
        .visible_case_ids(&staff.user.id, true, state.now())
        .await?;
    let items = match &q.case {
        Some(case) if !case.is_empty() => {
            let mut v = store.candidates_of_case(case).await?;
            v.retain(|c| filter.is_none_or(|f| c.state == f));
            v
        }
        _ => store.list_candidates(filter, QUEUE_LIMIT).await?,
    };
    let approver = policy::may(&staff, Act::Approve, Subject::Approval);
    let approvals = if approver {
        store
            .list_candidates(Some(MatchState::Consented), QUEUE_LIMIT)
            .await?
            .into_iter()
            .filter(|c| !visible.contains(&c.case_id))
            .map(|c| ApprovalRow {
                short: short_id(&c.id),
                probability: format!("{:.3}", c.probability),
                updated: format_utc(c.updated_at),
                id: c.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    let rows = items
        .into_iter()
        .filter(|c| visible.contains(&c.case_id))
        .map(|c| QueueRow {
            short: short_id(&c.id),
            state: t.label(c.state),
            probability: format!("{:.3}", c.probability),
            request: short_id(&c.request_id),
            case: c.case_id,
            updated: format_utc(c.updated_at),
            id: c.id,
        })
        .collect();
    Ok(render(&QueuePage {
        t,
        title: t.s("review.title"),
        nav: staff.nav("/office/matches"),
        rows,
        approvals,
        states: MatchState::ALL
            .into_iter()
            .map(|s| (s.as_str(), t.label(s), filter == Some(s)))
            .collect(),
        all_open: filter.is_none(),
    }))
}

// ---------------------------------------------------------------------------------------
// One match

pub(crate) struct ExplainRow {
    field: String,
    level: String,
    bf: String,
    against: bool,
}

pub(crate) struct StepRow {
    step: &'static str,
    to: &'static str,
    who: String,
    at: String,
    note: String,
}

pub(crate) struct MessageRow {
    from_office: bool,
    from: &'static str,
    time: String,
    text: String,
}

pub(crate) struct ChildRow {
    heading: String,
    person: PersonView,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "office/review/view.html")]
pub(crate) struct ViewPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    request_id: String,
    case_id: String,
    state: &'static str,
    probability: String,
    weight: String,
    explain: Vec<ExplainRow>,
    req_sought: PersonView,
    req_seeker: PersonView,
    req_father: Option<PersonView>,
    req_residence: String,
    req_note: String,
    case_mother: PersonView,
    case_children: Vec<ChildRow>,
    case_father: Option<PersonView>,
    case_residence: String,
    steps: Vec<StepRow>,
    actions: Vec<(&'static str, &'static str)>,
    asks: bool,
    dna_open: i64,
    offers_dna: bool,
    excerpt: String,
    note: String,
    has_member: bool,
    mother_messages: Vec<MessageRow>,
    acts_for_case: bool,
    disclosed: bool,
    message: String,
    error: Option<String>,
    notice: Option<&'static str>,
    max_text: usize,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ViewQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    sent: Option<String>,
}

/// What a form left behind when it is shown again.
#[derive(Default)]
struct Kept {
    note: String,
    excerpt: String,
    message: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// Opens both sides of a match: the request (sealed to the office) and the case. Both are
/// sensitive reads, audited by the store before anything is opened; `purpose` names the
/// page in the case's audit event.
async fn open_both_sides(
    state: &OfficeState,
    staff: &Staff,
    c: &reunite_store::Candidate,
    purpose: &str,
) -> Result<(RequestPayload, reunite_domain::Case), WebError> {
    let store = state.store();
    let now = state.now();
    let actor = staff.actor(state).await?;
    let opened = store
        .intake_open(&c.summary.request_id, &actor, now)
        .await?;
    let payload = RequestPayload::parse(&opened.payload)
        .ok_or_else(|| WebError::internal("request payload"))?;
    let case = store
        .read_case(
            &c.summary.case_id,
            &CaseActor::Staff(staff.user.id.clone()),
            purpose,
            now,
        )
        .await?
        .case;
    Ok((payload, case))
}

/// The steps of a match so far, in the reader's language, with who took each; the notes
/// only with `notes` (they may name people: the second approver does not read them).
async fn step_rows(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    notes: bool,
) -> Result<Vec<StepRow>, WebError> {
    let t = staff.t();
    let names = staff_names(state).await?;
    let who = |a: &str| -> String {
        if a == "system" {
            t.s("review.system").to_string()
        } else if a == staff.user.id.0 {
            t.s("case.me").to_string()
        } else {
            names.get(a).cloned().unwrap_or_else(|| a.to_string())
        }
    };
    Ok(state
        .store()
        .candidate_steps(id)
        .await?
        .into_iter()
        .map(|s| StepRow {
            step: t.s(&format!("review.step.{}", s.step)),
            to: MatchState::parse(&s.to).map(|m| t.label(m)).unwrap_or(""),
            who: who(&s.actor),
            at: format_utc(s.at),
            note: if notes {
                s.note.map(|n| n.as_str().to_string()).unwrap_or_default()
            } else {
                String::new()
            },
        })
        .collect())
}

async fn view_page(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    kept: Kept,
) -> Result<ViewPage, WebError> {
    let t = staff.t();
    let store = state.store();
    let c = store.candidate(id).await?;
    let (payload, case) = open_both_sides(state, staff, &c, "match").await?;
    let steps = step_rows(state, staff, id, true).await?;
    let acts = policy::acts_for_mother(state, staff, &c.summary.case_id).await?;
    // The verifier is never offered what the rules would refuse her: the approval, and
    // recording the mother's answer.
    let verifier = c.facts.verified_by.as_deref() == Some(staff.user.id.0.as_str());
    let approver = policy::may(staff, Act::Approve, Subject::Approval) && !verifier;
    let actions = Step::office_steps(c.summary.state)
        .into_iter()
        .filter(|s| match s {
            Step::Approve => approver,
            // Her answer is recorded by her or by someone other than the verifier.
            Step::Consent(_) => acts && !verifier,
            _ => acts,
        })
        .map(|s| (s.as_str(), t.s(&format!("review.do.{}", s.as_str()))))
        .collect();
    let has_member = store.member_of_case(&c.summary.case_id).await?.is_some();
    let dna_open = store.open_dna_tests_of_match(id).await?;
    let mother_messages = if acts {
        store
            .member_messages(&c.summary.case_id)
            .await?
            .into_iter()
            .map(|m| {
                let from_office = m.direction == FROM_OFFICE;
                MessageRow {
                    from_office,
                    from: if from_office {
                        t.s("req.from_office")
                    } else {
                        t.s("review.from_mother")
                    },
                    time: format_utc(m.created_at),
                    text: m.text.as_str().to_string(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let r = &payload.request;
    let chosen = c.detail.child;
    let excerpt = if kept.excerpt.is_empty() {
        c.excerpt
            .map(|e| e.as_str().to_string())
            .unwrap_or_default()
    } else {
        kept.excerpt
    };
    Ok(ViewPage {
        t,
        title: t.f("review.view_title", &[("id", &short_id(id))]),
        nav: staff.nav(&format!("/office/matches/{}", enc(id))),
        id: id.to_string(),
        request_id: c.summary.request_id.clone(),
        case_id: c.summary.case_id.clone(),
        state: t.label(c.summary.state),
        probability: format!("{:.4}", c.detail.probability),
        weight: format!("{:+.2}", c.detail.match_weight),
        explain: c.detail.explain.iter().map(|e| explain_row(t, e)).collect(),
        req_sought: person_view(t, &r.sought),
        req_seeker: person_view(t, &r.seeker),
        req_father: r.father.as_ref().map(|f| person_view(t, f)),
        req_residence: place_text(t, &r.residence_cn),
        req_note: payload.note.clone(),
        case_mother: person_view(t, &case.mother),
        case_children: case
            .children
            .iter()
            .enumerate()
            .map(|(i, ch)| ChildRow {
                heading: t.f("case.child_n", &[("n", &(i + 1).to_string())]),
                person: person_view(t, &ch.person()),
                chosen: chosen == Some(i),
            })
            .collect(),
        case_father: case.father.as_ref().map(|f| person_view(t, f)),
        case_residence: place_text(t, &case.residence_cn),
        steps,
        actions,
        asks: c.summary.state == MatchState::Verified && acts,
        dna_open,
        offers_dna: c.summary.state == MatchState::Proposed && acts,
        excerpt,
        note: kept.note,
        has_member,
        mother_messages,
        acts_for_case: acts,
        disclosed: c.summary.state.is_disclosed(),
        message: kept.message,
        error: kept.error,
        notice: kept.notice,
        max_text: MAX_TEXT,
    })
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Match)?;
    let here = format!("/office/matches/{}", enc(&id));
    let c = state.store().candidate(&id).await?;
    let (_, rel) = policy::relation(&state, &staff, &c.summary.case_id).await?;
    if !policy::may(&staff, Act::Open, Subject::MatchOf(rel)) {
        // Not her case: a second approver gets the approval view, nobody else anything.
        if c.summary.state == MatchState::Consented
            && policy::may(&staff, Act::Approve, Subject::Approval)
        {
            return Ok(Redirect::to(&format!("{here}/approval")).into_response());
        }
        return Err(WebError::Forbidden);
    }
    staff.recent(&state, &here)?;
    let t = staff.t();
    let notice = if q.done.is_some() {
        Some(t.s("review.done"))
    } else if q.sent.is_some() {
        Some(t.s("req.sent"))
    } else {
        None
    };
    let page = view_page(
        &state,
        &staff,
        &id,
        Kept {
            notice,
            ..Kept::default()
        },
    )
    .await?;
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    excerpt: String,
}

pub(crate) async fn step(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Match)?;
    staff.check_csrf(&form.csrf)?;
    let here = format!("/office/matches/{}", enc(&id));
    staff.recent(&state, &here)?;
    let t = staff.t();
    let Some(step) = Step::parse_office(&form.step) else {
        return Err(WebError::BadRequest);
    };
    let store = state.store();
    let c = store.candidate(&id).await?;
    policy::match_of_case(&state, &staff, &c.summary.case_id).await?;
    let allowed = if step == Step::Approve {
        policy::may(&staff, Act::Approve, Subject::Approval)
    } else {
        policy::acts_for_mother(&state, &staff, &c.summary.case_id).await?
    };
    if !allowed {
        return Err(WebError::Forbidden);
    }
    let again = |error: String| Kept {
        note: form.note.clone(),
        excerpt: form.excerpt.clone(),
        error: Some(error),
        ..Kept::default()
    };
    let problem = text_problem(t, &form.note, false).or_else(|| {
        if step == Step::AskMother {
            text_problem(t, &form.excerpt, true)
        } else {
            None
        }
    });
    if let Some(p) = problem {
        let page = view_page(&state, &staff, &id, again(p)).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let excerpt = (step == Step::AskMother).then(|| form.excerpt.trim().to_string());
    match store
        .match_step(
            &id,
            step,
            &staff.user.id,
            Some(form.note.trim()),
            excerpt.as_deref(),
            state.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}?done=1")).into_response()),
        Err(StoreError::Refused(r)) => {
            let page = view_page(&state, &staff, &id, again(refusal_text(t, r))).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(StoreError::Conflict(_)) => {
            let page = view_page(&state, &staff, &id, again(t.s("review.changed").into())).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(WebError::from(e)),
    }
}

fn refusal_text(t: Tr, r: Refusal) -> String {
    t.s(r.message_key()).to_string()
}

#[derive(Debug, Deserialize)]
pub(crate) struct MessageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// The office writes to the mother (relay: the caseworker decides what is passed on).
pub(crate) async fn message_mother(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Match)?;
    staff.check_csrf(&form.csrf)?;
    let here = format!("/office/matches/{}", enc(&id));
    staff.recent(&state, &here)?;
    let t = staff.t();
    let store = state.store();
    let c = store.candidate(&id).await?;
    if !policy::acts_for_mother(&state, &staff, &c.summary.case_id).await? {
        return Err(WebError::Forbidden);
    }
    let has_member = store.member_of_case(&c.summary.case_id).await?.is_some();
    let problem = if has_member {
        text_problem(t, &form.text, true)
    } else {
        Some(t.s("review.no_member").to_string())
    };
    if let Some(p) = problem {
        let kept = Kept {
            message: form.text.clone(),
            error: Some(p),
            ..Kept::default()
        };
        let page = view_page(&state, &staff, &id, kept).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let actor = staff.actor(&state).await?;
    store
        .add_member_message(
            &c.summary.case_id,
            FROM_OFFICE,
            form.text.trim(),
            &actor,
            state.now(),
        )
        .await?;
    Ok(Redirect::to(&format!("{here}?sent=1")).into_response())
}

// ---------------------------------------------------------------------------------------
// Member accounts

#[derive(Template)]
#[template(path = "office/review/invite.html")]
pub(crate) struct MemberInvitePage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    case_id: String,
    has_member: bool,
    username: String,
    password: Option<String>,
    error: Option<&'static str>,
}

async fn may_act(state: &OfficeState, staff: &Staff, case_id: &str) -> Result<(), WebError> {
    policy::require(staff, Act::Open, Subject::Match)?;
    if policy::acts_for_mother(state, staff, case_id).await? {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

pub(crate) async fn member_page(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
) -> Result<Response, WebError> {
    may_act(&state, &staff, &case_id).await?;
    let t = staff.t();
    let has_member = state.store().member_of_case(&case_id).await?.is_some();
    let here = format!("/office/cases/{}/member", enc(&case_id));
    Ok(render(&MemberInvitePage {
        t,
        title: t.f("member.invite_title", &[("id", &case_id)]),
        nav: staff.nav(&here),
        case_id,
        has_member,
        username: String::new(),
        password: None,
        error: None,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    lang: String,
}

pub(crate) async fn member_create(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response, WebError> {
    may_act(&state, &staff, &case_id).await?;
    staff.check_csrf(&form.csrf)?;
    let here = format!("/office/cases/{}/member", enc(&case_id));
    staff.recent(&state, &here)?;
    let t = staff.t();
    let page = |error: Option<&'static str>, password: Option<String>, has_member: bool| {
        MemberInvitePage {
            t,
            title: t.f("member.invite_title", &[("id", &case_id)]),
            nav: staff.nav(&here),
            case_id: case_id.clone(),
            has_member,
            username: form.username.clone(),
            password,
            error,
        }
    };
    let username = match Username::parse(&form.username) {
        Ok(u) => u,
        Err(_) => {
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(Some(t.s("error.username_chars")), None, false),
            ));
        }
    };
    let member_lang =
        crate::kernel::i18n::lang_from_code(&form.lang).ok_or(WebError::BadRequest)?;
    let (password, phc) = state.one_time_password().await?;
    let actor = staff.actor(&state).await?;
    let new = NewUser {
        username,
        role: Role::Member,
        password_phc: phc,
        must_change_password: true,
        lang: member_lang,
    };
    match state
        .store()
        .create_member(&new, &case_id, &actor, state.now())
        .await
    {
        Ok(_) => Ok(render(&page(None, Some(password.to_string()), true))),
        Err(StoreError::Conflict("username taken")) => Ok(render_status(
            StatusCode::CONFLICT,
            &page(Some(t.s("error.username_taken")), None, false),
        )),
        Err(StoreError::Conflict(_)) => Ok(render_status(
            StatusCode::CONFLICT,
            &page(Some(t.s("member.already")), None, true),
        )),
        Err(e) => Err(WebError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reunite_domain::Lang;

    #[test]
    fn texts_for_the_mother_are_checked() {
        let t = Tr::new(Lang::En);
        assert!(text_problem(t, "  ", true).is_some());
        assert!(text_problem(t, "", false).is_none());
        assert!(text_problem(t, &"a".repeat(MAX_TEXT + 1), false).is_some());
        assert!(text_problem(Tr::new(Lang::Zh), "脱北者", false).is_some());
    }

    #[test]
    fn every_state_and_step_has_a_label() {
        for lang in [Lang::Ko, Lang::Zh, Lang::En] {
            let t = Tr::new(lang);
            for s in MatchState::ALL {
                assert_ne!(t.label(s), "?");
                for step in Step::office_steps(s) {
                    let k = format!("review.do.{}", step.as_str());
                    assert_ne!(t.s(&k), "?", "{k}");
                    let k = format!("review.step.{}", step.as_str());
                    assert_ne!(t.s(&k), "?", "{k}");
                }
            }
            for r in [
                Refusal::NotNow,
                Refusal::SameApprover,
                Refusal::NoConsent,
                Refusal::NeedsTwoApprovers,
                Refusal::NotHers,
                Refusal::DnaPending,
            ] {
                assert_ne!(t.s(r.message_key()), "?");
            }
        }
    }
}
