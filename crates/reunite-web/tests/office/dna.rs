//! DNA tests through the real router: register from a case, import the lab's profiles
//! (good and malformed), the report with the LR the kinship library computes, who may see
//! it, re-authentication, audit, and the PDF.

use crate::helpers::{Client, TestApp};
use reunite_domain::{Lang, Role};
use reunite_kinship::{
    FrequencyTable, Hypothesis, LrOptions, MinFrequency, MutationModel, MutationSpec, ProfileSet,
    Relation, likelihood_ratio,
};

async fn sign_in(app: &TestApp, name: &str, role: Role, lang: Lang) -> Client {
    app.sign_in_as(name, role, lang).await.0
}

/// Registers a small case (assigned to the caseworker who registers it).
async fn register_case(c: &mut Client) -> String {
    let csrf = c.csrf_of("/office/cases/new").await;
    let p = c
        .post(
            "/office/cases/new",
            &[
                ("csrf", &csrf),
                ("action", "save"),
                ("m_name_0_text", "리영자"),
                ("m_name_0_kind", "birth"),
                ("c_0_name_0_text", "王明"),
                ("c_0_sex", "m"),
                ("status", "open"),
            ],
        )
        .await;
    p.saved_id("/office/cases/")
}

/// Registers a mother–child DNA test of the case; returns the test id.
async fn register_test(c: &mut Client, case_id: &str) -> String {
    let path = format!("/office/cases/{case_id}/dna");
    let csrf = c.csrf_of(&path).await;
    let p = c
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("lab", "Seoul Forensic Genetics"),
                ("kit", "GlobalFiler"),
                ("sampled_on", "2026-03-02"),
                ("relative", "mother"),
                ("relative_sample", "MO"),
                ("child_no", "1"),
                ("child_sample", "CH"),
            ],
        )
        .await;
    p.saved_id("/office/dna/")
}

/// A consistent mother–child duo over the first 20 markers of the shipped table, written as
/// a GeneMapper export: the child has the mother's first allele and another one.
fn duo_genemapper() -> String {
    let table = FrequencyTable::default_east_asia();
    let mut out = String::from("Sample Name\tPanel\tMarker\tAllele 1\tAllele 2\n");
    for (_, locus) in table.loci().take(20) {
        let a: Vec<String> = locus.alleles.iter().map(|(a, _)| a.to_string()).collect();
        let k = a.len() / 3;
        out.push_str(&format!("MO\tGF\t{}\t{}\t{}\n", locus.name, a[k], a[k + 1]));
        out.push_str(&format!("CH\tGF\t{}\t{}\t{}\n", locus.name, a[k], a[k + 2]));
    }
    out.push_str("MO\tGF\tAMEL\tX\tX\nCH\tGF\tAMEL\tX\tY\n");
    out
}

/// What the office computes with, stated in docs/dna.md.
fn options() -> LrOptions {
    LrOptions {
        theta: 0.0,
        mutation: MutationSpec::new(MutationModel::Stepwise, 0.002),
        min_frequency: MinFrequency::Floor(0.001),
        ..LrOptions::default()
    }
}

fn attr(body: &str, id: &str, name: &str) -> String {
    let at = body.find(&format!("id=\"{id}\"")).expect(id);
    let rest = &body[at..];
    let m = format!("{name}=\"");
    let s = rest.find(&m).unwrap() + m.len();
    rest[s..s + rest[s..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn caseworker_registers_imports_and_reports() {
    let app = TestApp::spawn().await;
    let mut c = sign_in(&app, "cw.dna", Role::Caseworker, Lang::Ko).await;
    let case_id = register_case(&mut c).await;
    // The case page links to its DNA tests.
    let p = c.get(&format!("/office/cases/{case_id}")).await;
    assert!(p.body.contains(&format!("/office/cases/{case_id}/dna")));

    // Registration with a missing lab saves nothing and says why, in Korean.
    let path = format!("/office/cases/{case_id}/dna");
    let csrf = c.csrf_of(&path).await;
    let p = c
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("lab", ""),
                ("relative", "mother"),
                ("relative_sample", "MO"),
                ("child_no", "1"),
                ("child_sample", "MO"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("아무것도 저장되지 않았습니다"),
        "{}",
        p.body
    );
    assert!(p.body.contains("시료명은 서로 달라야"));
    assert!(app.store.list_dna_tests(&case_id).await.unwrap().is_empty());

    let tid = register_test(&mut c, &case_id).await;
    let view = c.get(&format!("/office/dna/{tid}")).await;
    assert_eq!(view.status, 200);
    assert_eq!(
        view.by_id("dna-lab").as_deref(),
        Some("Seoul Forensic Genetics")
    );
    let csrf = view.input("csrf").unwrap();
    let version = view.input("version").unwrap();

    // A malformed file: a line-numbered message in Korean, the text kept, nothing saved.
    let bad = "person,marker,allele1,allele2\nMO,TH01,6,9.3\nCH,TH01,OL,9.3\n";
    let p = c
        .post(
            &format!("/office/dna/{tid}/profiles"),
            &[("csrf", &csrf), ("version", &version), ("profiles", bad)],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("3번째 줄"), "{}", p.body);
    assert!(p.body.contains("래더 밖(OL)"), "{}", p.body);
    assert!(p.body.contains("CH,TH01,OL,9.3"), "the pasted text is kept");
    let meta = app.store.dna_test_meta(&tid).await.unwrap().unwrap();
    assert!(!meta.has_profiles);
    assert_eq!(meta.version.to_string(), version);
    // A file without the registered child sample.
    let p = c
        .post(
            &format!("/office/dna/{tid}/profiles"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("profiles", "MO,TH01,6,9.3\nXX,TH01,6,6\n"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("시료 CH의 프로파일이 없습니다"),
        "{}",
        p.body
    );
    assert!(
        !app.store
            .dna_test_meta(&tid)
            .await
            .unwrap()
            .unwrap()
            .has_profiles
    );

    // The lab's file: imported, then straight to the report.
    let text = duo_genemapper();
    let p = c
        .post(
            &format!("/office/dna/{tid}/profiles"),
            &[("csrf", &csrf), ("version", &version), ("profiles", &text)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), format!("/office/dna/{tid}/report"));
    let meta = app.store.dna_test_meta(&tid).await.unwrap().unwrap();
    assert!(meta.has_profiles);
    assert_eq!(meta.status, reunite_store::DnaStatus::ProfilesReceived);

    let report = c.get(&format!("/office/dna/{tid}/report")).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let want = likelihood_ratio(
        &FrequencyTable::default_east_asia(),
        &ProfileSet::parse_auto(&text).unwrap(),
        &Hypothesis::pairwise(Relation::ParentChild, "MO", "CH"),
        &options(),
    )
    .unwrap();
    let shown: f64 = attr(&report.body, "combined-lr", "data-lr")
        .parse()
        .unwrap();
    assert!(
        (shown - want.lr).abs() <= 1e-9 * want.lr,
        "{shown} vs {}",
        want.lr
    );
    assert!(want.lr > 10_000.0);
    assert_eq!(
        report.by_id("log10-lr").unwrap(),
        format!("{:.4}", want.log10_lr)
    );
    assert_eq!(
        report.body.matches("<tr><td>").count(),
        20,
        "one row per marker"
    );
    assert!(report.body.contains("conclusion-supports"));
    assert!(
        report
            .body
            .contains("유전자(DNA) 친족관계 감정 결과 보고서")
    );
    assert!(report.body.contains("LR ≥ 10,000"));
    assert!(report.body.contains("norSTR v2023"));
    assert!(report.body.contains("MIT"));
    assert!(report.body.contains("H2"));
    assert!(report.body.contains("검토자"));
    for (lang, title) in [
        ("en", "DNA kinship analysis report"),
        ("zh", "DNA 亲缘关系鉴定报告"),
    ] {
        let p = c
            .get(&format!("/office/dna/{tid}/report?lang={lang}"))
            .await;
        assert_eq!(p.status, 200);
        assert!(p.body.contains(title), "{lang}");
    }
    let en = c.get(&format!("/office/dna/{tid}/report?lang=en")).await;
    assert!(
        en.body
            .contains("The DNA results support the relationship stated in H1")
    );

    // Lists never show profiles.
    let first_marker = FrequencyTable::default_east_asia()
        .loci()
        .next()
        .unwrap()
        .1
        .name
        .clone();
    let list = c.get(&format!("/office/cases/{case_id}/dna")).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&tid));
    assert!(!list.body.contains(&first_marker));
    let view = c.get(&format!("/office/dna/{tid}")).await;
    assert!(!view.body.contains(&first_marker));

    // Status and a custody note.
    let version = view.input("version").unwrap();
    let p = c
        .post(
            &format!("/office/dna/{tid}/update"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("status", "reported"),
                ("relative", "mother"),
                ("sent_on", "2026-03-03"),
                ("received_on", "2026-03-20"),
                ("note", "Sealed kit 4471 handed to the courier"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let view = c.get(&format!("/office/dna/{tid}")).await;
    assert!(view.body.contains("Sealed kit 4471 handed to the courier"));
    assert_eq!(view.by_id("dna-status").as_deref(), Some("보고서 발급"));

    let events = app.audit_details().await;
    for want in [
        "record_create/dna_test",
        "record_change/dna_profiles",
        "record_change/dna_test",
        "sensitive_read/dna_test",
        "sensitive_read/dna_report",
    ] {
        assert!(events.iter().any(|e| e == want), "{want} in {events:?}");
    }
}

#[tokio::test]
async fn only_the_cases_caseworker_and_admins_reach_dna_tests() {
    let app = TestApp::spawn().await;
    let mut cw = sign_in(&app, "cw.own", Role::Caseworker, Lang::En).await;
    let case_id = register_case(&mut cw).await;
    let tid = register_test(&mut cw, &case_id).await;
    let paths = [
        format!("/office/cases/{case_id}/dna"),
        format!("/office/dna/{tid}"),
        format!("/office/dna/{tid}/report"),
        format!("/office/dna/{tid}/report.pdf"),
    ];
    for (name, role) in [
        ("re.search", Role::Researcher),
        ("rv.view", Role::Reviewer),
        ("cw.other", Role::Caseworker),
    ] {
        let mut c = sign_in(&app, name, role, Lang::En).await;
        for p in &paths {
            assert_eq!(c.get(p).await.status, 403, "{name} {p}");
        }
        let csrf = c.csrf_of("/office").await;
        let p = c
            .post(
                &format!("/office/dna/{tid}/profiles"),
                &[("csrf", &csrf), ("version", "1"), ("profiles", "x")],
            )
            .await;
        assert_eq!(p.status, 403, "{name}");
    }
    let before = app.audit_details().await;
    assert!(!before.iter().any(|e| e == "sensitive_read/dna_report"));
}

#[tokio::test]
async fn the_report_needs_a_recent_reauthentication() {
    let app = TestApp::spawn_with(|c| c.reauth_secs = 60).await;
    let mut c = sign_in(&app, "cw.reauth", Role::Caseworker, Lang::En).await;
    let case_id = register_case(&mut c).await;
    let tid = register_test(&mut c, &case_id).await;
    let view = c.get(&format!("/office/dna/{tid}")).await;
    let (csrf, version) = (view.input("csrf").unwrap(), view.input("version").unwrap());
    let p = c
        .post(
            &format!("/office/dna/{tid}/profiles"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("profiles", &duo_genemapper()),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let reads = |ev: &[String]| {
        ev.iter()
            .filter(|e| *e == "sensitive_read/dna_report")
            .count()
    };
    let before = reads(&app.audit_details().await);
    app.clock.advance_millis(120_000);
    for path in ["/report", "/report.pdf", ""] {
        let p = c.get(&format!("/office/dna/{tid}{path}")).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(p.location().starts_with("/office/reauth?next="), "{path}");
    }
    assert_eq!(
        reads(&app.audit_details().await),
        before,
        "nothing was read"
    );
}

/// The raw bytes of a PDF answer (the test client's `Page` holds text).
async fn pdf_bytes(c: &Client, path: &str) -> Vec<u8> {
    let r = c
        .http
        .get(format!("{}{path}", c.base))
        .header(
            "cookie",
            format!("__Host-reunite-session={}", c.cookie.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    assert_eq!(
        r.headers().get("content-type").unwrap().to_str().unwrap(),
        "application/pdf"
    );
    r.bytes().await.unwrap().to_vec()
}

fn has_pdftotext() -> bool {
    std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok()
}

fn pdf_text(app: &TestApp, bytes: &[u8], name: &str) -> String {
    let pdf = app.dir.join(name);
    std::fs::write(&pdf, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_report_is_printed_to_pdf() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .any(|p| std::path::Path::new(p).is_file())
        || std::env::var_os("REUNITE_CHROMIUM").is_some();
    if !chromium {
        eprintln!("skipped: chromium is not installed, the PDF cannot be made here");
        return;
    }
    let app = TestApp::spawn().await;
    let mut c = sign_in(&app, "cw.pdf", Role::Caseworker, Lang::En).await;
    let case_id = register_case(&mut c).await;
    let tid = register_test(&mut c, &case_id).await;
    let view = c.get(&format!("/office/dna/{tid}")).await;
    let (csrf, version) = (view.input("csrf").unwrap(), view.input("version").unwrap());
    let text = duo_genemapper();
    let p = c
        .post(
            &format!("/office/dna/{tid}/profiles"),
            &[("csrf", &csrf), ("version", &version), ("profiles", &text)],
        )
        .await;
    assert_eq!(p.status, 303);
    let want = likelihood_ratio(
        &FrequencyTable::default_east_asia(),
        &ProfileSet::parse_auto(&text).unwrap(),
        &Hypothesis::pairwise(Relation::ParentChild, "MO", "CH"),
        &options(),
    )
    .unwrap();
    let en = pdf_bytes(&c, &format!("/office/dna/{tid}/report.pdf?lang=en")).await;
    let ko = pdf_bytes(&c, &format!("/office/dna/{tid}/report.pdf?lang=ko")).await;
    assert!(en.starts_with(b"%PDF"));
    assert!(ko.starts_with(b"%PDF"));
    if !has_pdftotext() {
        eprintln!("pdftotext (poppler-utils) is missing: PDF text not checked");
        return;
    }
    let words = pdf_text(&app, &en, "en.pdf");
    let flat = words.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("{:.4}", want.log10_lr)), "{flat}");
    let main = format!(
        "{:.3}",
        want.lr / 10f64.powi(want.lr.log10().floor() as i32)
    );
    assert!(flat.contains(&main), "combined LR {main} in {flat}");
    assert!(
        flat.contains("The DNA results support the relationship stated in H1"),
        "{flat}"
    );
    assert!(flat.contains("Reviewer"));
    // Korean text needs a Korean font on the server (Debian: fonts-noto-cjk).
    let korean_font = std::process::Command::new("fc-list")
        .arg(":lang=ko")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    if korean_font {
        let ko_words = pdf_text(&app, &ko, "ko.pdf");
        assert!(ko_words.contains("결론"), "{ko_words}");
    } else {
        eprintln!("no Korean font installed: Korean PDF text not checked");
    }
}
