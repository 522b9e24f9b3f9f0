//! The report page, its numbers and conclusion, and the PDF.

use super::profiles::{genotype_text, hypothesis, kinship_error_text, parse_error_text};
use super::*;
use crate::kernel::error::WebError;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::policy;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use reunite_domain::Lang;
use reunite_kinship::{LrReport, Marker, ProfileSet, likelihood_ratio};
use reunite_store::DnaRead;
use serde::Deserialize;

pub(crate) struct LocusRow {
    marker: String,
    a: String,
    b: String,
    lr: Num,
    inconsistent: bool,
}

/// A number for print: `main`, then `× 10^exp` when the exponent is set.
pub(crate) struct Num {
    main: String,
    exp: Option<i32>,
}

fn num(x: f64) -> Num {
    if x.is_nan() {
        return Num {
            main: "—".into(),
            exp: None,
        };
    }
    if x.is_infinite() {
        return Num {
            main: "∞".into(),
            exp: None,
        };
    }
    if x == 0.0 {
        return Num {
            main: "0".into(),
            exp: None,
        };
    }
    let e = x.abs().log10().floor() as i32;
    if (-2..5).contains(&e) {
        let decimals = (3 - e).max(0) as usize;
        Num {
            main: format!("{x:.decimals$}"),
            exp: None,
        }
    } else {
        let m = x / 10f64.powi(e);
        // Rounding can carry the mantissa to 10.000.
        let (m, e) = if format!("{m:.3}") == "10.000" {
            (m / 10.0, e + 1)
        } else {
            (m, e)
        };
        Num {
            main: format!("{m:.3} × 10"),
            exp: Some(e),
        }
    }
}

/// A whole number with thousands separators (`10,000`).
fn grouped(x: f64) -> String {
    let s = format!("{:.0}", x.round());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn posterior_text(p: f64) -> String {
    if p.is_nan() {
        "—".into()
    } else if p * 100.0 > 99.999_999_5 && p < 1.0 {
        "> 99.999999 %".into()
    } else {
        format!("{:.6} %", p * 100.0)
    }
}

/// What the conclusion says, against the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conclusion {
    Supports,
    Below,
    Excludes,
}

fn conclusion(lr: f64, threshold: f64) -> Conclusion {
    if lr == 0.0 {
        Conclusion::Excludes
    } else if lr >= threshold {
        Conclusion::Supports
    } else {
        Conclusion::Below
    }
}

#[derive(Template)]
#[template(path = "office/dna/report.html")]
pub(crate) struct ReportPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    /// For the PDF: the stylesheet inline (the file is opened from disk, not served).
    inline_css: Option<&'static str>,
    id: String,
    case_id: String,
    match_ref: String,
    lab: String,
    kit: String,
    sampled_on: String,
    received_on: String,
    report_date: String,
    relative: String,
    relative_sample: String,
    child: String,
    child_sample: String,
    h1: String,
    h2: String,
    loci: Vec<LocusRow>,
    skipped: String,
    lr: Num,
    lr_raw: String,
    log10: String,
    posterior: String,
    inconsistent: usize,
    database: &'static str,
    licence: &'static str,
    theta: String,
    mutation: String,
    floor: String,
    threshold: String,
    conclusion_code: &'static str,
    conclusion: String,
    lang: &'static str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    lang: Option<String>,
}

async fn threshold(state: &OfficeState) -> Result<f64, WebError> {
    let v = state.store().setting(THRESHOLD_SETTING).await?;
    Ok(v.and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|x| x.is_finite() && *x > 0.0)
        .unwrap_or(DEFAULT_THRESHOLD))
}

/// Reads the profiles (audited as `dna_report`), computes the LR and builds the page.
async fn build_report(
    state: &OfficeState,
    staff: &Staff,
    tid: &str,
    t: Tr,
) -> Result<Result<ReportPage, String>, WebError> {
    let (test, profiles) = state
        .store()
        .read_dna_profiles(tid, DnaRead::Report, &staff.case_actor(), state.now())
        .await?;
    let Some(profiles) = profiles else {
        return Ok(Err(t.s("dna.no_profiles").to_string()));
    };
    let d = &test.details;
    let Some((hyp, rel, ch)) = hypothesis(d) else {
        return Ok(Err(t.s("dna.err.compute").to_string()));
    };
    let set = match ProfileSet::parse_csv(&profiles) {
        Ok(s) => s,
        Err(e) => return Ok(Err(parse_error_text(t, &e))),
    };
    let opts = lr_options(relation_of(&rel.role).unwrap_or(Relation::ParentChild));
    let r: LrReport = match likelihood_ratio(&TABLE, &set, &hyp, &opts) {
        Ok(r) => r,
        Err(e) => return Ok(Err(kinship_error_text(t, &e))),
    };
    let threshold = threshold(state).await?;
    let gt = |sample: &str, marker: &str| {
        set.get(sample)
            .and_then(|p| p.get(&Marker::new(marker)))
            .map(|g| genotype_text(g).replace(',', ", "))
            .unwrap_or_else(|| "—".into())
    };
    let c = conclusion(r.lr, threshold);
    let thr = grouped(threshold);
    let relation_words = role_label(t, &rel.role);
    let conclusion_text = match c {
        Conclusion::Supports => t.f(
            "dna.conclusion.supports",
            &[("threshold", &thr), ("role", relation_words)],
        ),
        Conclusion::Below => t.f(
            "dna.conclusion.below",
            &[("threshold", &thr), ("role", relation_words)],
        ),
        Conclusion::Excludes => t.f("dna.conclusion.excludes", &[("role", relation_words)]),
    };
    let m = opts.mutation;
    let here = format!("/office/dna/{}/report", enc(tid));
    Ok(Ok(ReportPage {
        t,
        title: t.f("dna.report_title_id", &[("id", tid)]),
        nav: staff.nav(&here),
        inline_css: None,
        id: tid.to_string(),
        case_id: test.meta.case_id.clone(),
        match_ref: test.meta.match_ref.clone().unwrap_or_default(),
        lab: d.lab.clone(),
        kit: d.kit.clone(),
        sampled_on: d.sampled_on.clone(),
        received_on: d.received_on.clone(),
        report_date: format_utc(state.now())[..10].to_string(),
        relative: relation_words.to_string(),
        relative_sample: rel.sample.clone(),
        child: match ch.child_index {
            Some(i) => t.f("case.child_n", &[("n", &(i + 1).to_string())]),
            None => role_label(t, "child").to_string(),
        },
        child_sample: ch.sample.clone(),
        h1: h1_text(t, &rel.role, &rel.sample, &ch.sample),
        h2: t.f("dna.h2", &[("a", &rel.sample), ("b", &ch.sample)]),
        loci: r
            .loci
            .iter()
            .map(|l| LocusRow {
                marker: l.marker.clone(),
                a: gt(&rel.sample, &l.marker),
                b: gt(&ch.sample, &l.marker),
                lr: num(l.lr),
                inconsistent: l.inconsistent,
            })
            .collect(),
        skipped: r.skipped_markers.join(", "),
        lr: num(r.lr),
        lr_raw: format!("{:e}", r.lr),
        log10: format!("{:.4}", r.log10_lr),
        posterior: posterior_text(r.posterior),
        inconsistent: r.inconsistent_loci,
        database: t.s("dna.database_name"),
        licence: t.s("dna.database_licence"),
        theta: format!("{}", opts.theta),
        mutation: if m.is_on() {
            t.f(
                "dna.mutation_text",
                &[
                    ("female", &m.rate_female.to_string()),
                    ("male", &m.rate_male.to_string()),
                    ("range", &m.range.to_string()),
                ],
            )
        } else {
            t.s("dna.mutation_none").to_string()
        },
        floor: "0.001".into(),
        threshold: thr,
        conclusion_code: match c {
            Conclusion::Supports => "supports",
            Conclusion::Below => "below",
            Conclusion::Excludes => "excludes",
        },
        conclusion: conclusion_text,
        lang: t.code(),
    }))
}

#[derive(Template)]
#[template(path = "office/dna/message.html")]
pub(crate) struct MessagePage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    message: String,
    back: String,
}

fn message(staff: &Staff, status: StatusCode, tid: &str, msg: String) -> Response {
    let t = staff.t();
    let back = format!("/office/dna/{}", enc(tid));
    render_status(
        status,
        &MessagePage {
            t,
            title: t.s("dna.report_title").to_string(),
            nav: staff.nav(&back),
            message: msg,
            back,
        },
    )
}

fn report_lang(staff: &Staff, q: &ReportQuery) -> Tr {
    Tr::new(
        q.lang
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(staff.lang()),
    )
}

/// Opens a test's report (who may, after a recent re-authentication) in the language asked.
async fn open_report(
    state: &OfficeState,
    staff: &Staff,
    tid: &str,
    q: &ReportQuery,
) -> Result<Tr, WebError> {
    let here = format!("/office/dna/{}/report", enc(tid));
    policy::dna_test(state, staff, tid).await?;
    staff.recent(state, &here)?;
    Ok(report_lang(staff, q))
}

pub(crate) async fn report(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let t = open_report(&state, &staff, &tid, &q).await?;
    match build_report(&state, &staff, &tid, t).await? {
        Ok(page) => Ok(render(&page)),
        Err(msg) => Ok(message(&staff, StatusCode::CONFLICT, &tid, msg)),
    }
}

pub(crate) async fn report_pdf(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let t = open_report(&state, &staff, &tid, &q).await?;
    let Some(chromium) = pdf::find_chromium() else {
        return Ok(message(
            &staff,
            StatusCode::SERVICE_UNAVAILABLE,
            &tid,
            staff.t().s("dna.pdf_unavailable").to_string(),
        ));
    };
    let mut page = match build_report(&state, &staff, &tid, t).await? {
        Ok(p) => p,
        Err(msg) => return Ok(message(&staff, StatusCode::CONFLICT, &tid, msg)),
    };
    page.nav = None;
    page.inline_css = Some(include_str!("../../../static/style.css"));
    let html = page.render()?;
    let bytes = tokio::task::spawn_blocking(move || pdf::print(&chromium, &html)).await??;
    let name = format!("attachment; filename=\"dna-report-{}.pdf\"", enc(&tid));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well_in_print() {
        let s = |x: f64| {
            let n = num(x);
            match n.exp {
                Some(e) => format!("{}^{e}", n.main),
                None => n.main,
            }
        };
        assert_eq!(s(3.75), "3.750");
        assert_eq!(s(0.5), "0.5000");
        assert_eq!(s(1234.5), "1234");
        assert_eq!(s(123_456.0), "1.235 × 10^5");
        assert_eq!(s(9.9996e6), "1.000 × 10^7");
        assert_eq!(s(0.0), "0");
        assert_eq!(s(f64::INFINITY), "∞");
        assert_eq!(s(0.000_12), "1.200 × 10^-4");
        assert_eq!(grouped(10_000.0), "10,000");
        assert_eq!(grouped(100.0), "100");
        assert_eq!(grouped(1_000_000.0), "1,000,000");
    }

    #[test]
    fn conclusions_follow_the_threshold() {
        assert_eq!(conclusion(0.0, 1e4), Conclusion::Excludes);
        assert_eq!(conclusion(9_999.9, 1e4), Conclusion::Below);
        assert_eq!(conclusion(10_000.0, 1e4), Conclusion::Supports);
        assert_eq!(conclusion(f64::INFINITY, 1e4), Conclusion::Supports);
    }
}
