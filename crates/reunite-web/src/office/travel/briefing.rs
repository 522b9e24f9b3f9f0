//! The safety briefing: the shipped texts, the one in force, and its editing by admins.

use super::*;
use crate::kernel::i18n::{lang_code, lang_from_code};
use crate::kernel::render::{Nav, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::{Lang, Role};
use serde::Deserialize;

/// The shipped briefing in a language.
pub fn shipped_briefing(lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => include_str!("../../../briefing/ko.txt"),
        Lang::Zh => include_str!("../../../briefing/zh.txt"),
        Lang::En => include_str!("../../../briefing/en.txt"),
    }
}

/// The briefing in force for a language: the admins' text or the shipped one.
pub(crate) async fn briefing_text(state: &OfficeState, lang: Lang) -> Result<String, StoreError> {
    let code = lang_code(lang);
    Ok(state
        .store()
        .travel_briefing(code)
        .await?
        .unwrap_or_else(|| shipped_briefing(lang).to_string()))
}

/// Which text was confirmed: a short hash, recorded with the confirmation.
pub(crate) fn text_hash(text: &str) -> String {
    hex::encode(&reunite_crypto::token_hash(text)[..8])
}

pub(crate) struct BriefingText {
    lang: &'static str,
    name: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "office/travel/briefing.html")]
pub(crate) struct BriefingPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    texts: Vec<BriefingText>,
    saved: bool,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) async fn briefing_form(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    let t = staff.t();
    let mut texts = Vec::new();
    for l in [Lang::Ko, Lang::Zh, Lang::En] {
        texts.push(BriefingText {
            lang: lang_code(l),
            name: l.endonym(),
            text: briefing_text(&state, l).await?,
        });
    }
    Ok(render(&BriefingPage {
        t,
        title: t.s("travel.briefing_edit"),
        nav: staff.nav("/office/travel/briefing"),
        texts,
        saved: q.saved.is_some(),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct BriefingEdit {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    text: String,
}

pub(crate) async fn briefing_save(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<BriefingEdit>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    let l = lang_from_code(&form.lang).ok_or(WebError::BadRequest)?;
    if form.text.chars().count() > 20 * MAX_TEXT {
        return Err(WebError::BadRequest);
    }
    // Saving the shipped text unchanged keeps following future shipped versions.
    let text = if form.text.trim() == shipped_briefing(l).trim() {
        ""
    } else {
        form.text.as_str()
    };
    state
        .store()
        .set_travel_briefing(lang_code(l), text, &staff.case_actor(), state.now())
        .await?;
    Ok(Redirect::to("/office/travel/briefing?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn briefings_are_shipped_in_three_languages() {
        for l in Lang::ALL {
            let b = shipped_briefing(l);
            assert!(b.lines().count() > 20, "{l:?}");
        }
    }
}
