//! The public side over HTTP: the whole flow, byte-identical check-back across states, no
//! cookies, headers, page weight, validation that keeps input, rate limits, neutral words.

use crate::helpers::public as support;
use reunite_crypto::{TracingCode, seal};
use reunite_domain::Clock;
use reunite_store::NewIntake;
use support::{client, get, good_form, post, spawn, spawn_with};

const LIMIT: usize = 100 * 1024;

fn assert_public_headers(r: &support::Resp) {
    let h = &r.headers;
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("permissions-policy").is_some());
    assert!(h.get("set-cookie").is_none());
}

fn assert_public_page(r: &support::Resp) {
    assert_public_headers(r);
    assert!(r.body.len() <= LIMIT, "page of {} bytes", r.body.len());
    // Quick exit is the first control on the page (first in tab order).
    let body = &r.body[r.body.find("<body>").unwrap()..];
    let first = ["<button", "<a ", "<input", "<select", "<textarea"]
        .iter()
        .filter_map(|m| body.find(m).map(|i| (i, *m)))
        .min()
        .unwrap();
    let exit = body.find("id=\"exit\"").unwrap();
    let first_visible = body.find("<button").unwrap();
    assert!(
        first_visible <= exit && exit < first_visible + 120,
        "{first:?}"
    );
    assert!(!body[..first_visible].contains("tabindex"));
    // Every form carries autocomplete=off; nothing from another origin.
    for (i, _) in r.body.match_indices("<form") {
        let tag = &r.body[i..i + r.body[i..].find('>').unwrap()];
        assert!(
            tag.contains("autocomplete=\"off\"")
                || tag.contains("class=\"exit\"")
                || tag.contains("class=\"langs\""),
            "{tag}"
        );
    }
    for attr in ["src=\"", "href=\""] {
        for (i, _) in r.body.match_indices(attr) {
            let v = &r.body[i + attr.len()..];
            let ok = v.starts_with('/') && !v.starts_with("//");
            let exit_link = v.starts_with("https://www.baidu.com/");
            assert!(
                ok || exit_link,
                "reference to another origin: {}",
                &v[..40.min(v.len())]
            );
        }
    }
}

fn messages_of(body: &str) -> Vec<String> {
    body.split("<div class=\"msg\"><small>")
        .skip(1)
        .map(|s| s[s.find("</small>").unwrap() + 8..s.find("</div>").unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn a_seeker_files_keeps_the_code_reads_a_reply_and_answers() {
    let app = spawn().await;
    let c = client();
    let home = get(&c, &format!("{}/", app.base)).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("lang=\"zh-Hans\""), "Chinese by default");
    assert_public_page(&home);
    let form = post(
        &c,
        &format!("{}/", app.base),
        &[("step", "form"), ("lang", "zh")],
    )
    .await;
    assert_eq!(form.status, 200);
    assert_public_page(&form);
    assert!(form.body.contains("name=\"m_name1\""));

    let sent = post(&c, &format!("{}/", app.base), &good_form("zh")).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_public_page(&sent);
    let code = sent.by_id("code").unwrap();
    assert_eq!(code.len(), 24, "five groups of four digits: {code}");
    assert!(TracingCode::parse(&code).is_ok());
    assert_eq!(app.intake.count_requests().await.unwrap(), 1);

    // Nothing yet.
    let read = post(
        &c,
        &format!("{}/", app.base),
        &[("step", "read"), ("lang", "zh"), ("code", &code)],
    )
    .await;
    assert_eq!(read.status, 200);
    assert_public_page(&read);
    assert!(read.body.contains("id=\"none\""));

    // The office opens the request and replies.
    let list = app.office.intake_list(10).await.unwrap();
    let opened = app
        .office
        .intake_open(&list[0].id, "user:t", app.clock.now())
        .await
        .unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&opened.payload).unwrap();
    assert_eq!(payload["lang"], "zh");
    assert_eq!(payload["request"]["sought"]["names"][0]["text"], "金英子");
    assert_eq!(payload["request"]["seeker"]["birth"]["day"], 12);
    assert_eq!(payload["request"]["separation"]["cause"], "repatriation");
    assert_eq!(payload["note"], "她左手有一道疤");
    app.office
        .intake_reply(
            &list[0].id,
            "我们收到了。请告诉我们你小时候住的村子的名字。",
            "user:t",
            app.clock.now(),
        )
        .await
        .unwrap();

    // Typed with dashes and full-width digits, the code still reads the reply.
    let typed: String = code.replace(' ', "-");
    let read = post(
        &c,
        &format!("{}/", app.base),
        &[("step", "read"), ("lang", "zh"), ("code", &typed)],
    )
    .await;
    assert_eq!(
        messages_of(&read.body),
        vec!["我们收到了。请告诉我们你小时候住的村子的名字。"]
    );
    assert!(!read.body.contains("id=\"none\""));

    app.clock.advance_millis(1000);
    // Answer; an empty answer is refused without losing anything.
    let empty = post(
        &c,
        &format!("{}/", app.base),
        &[
            ("step", "answer"),
            ("lang", "zh"),
            ("code", &code),
            ("answer", "  "),
        ],
    )
    .await;
    assert!(empty.body.contains("id=\"answer-error\""));
    let ans = post(
        &c,
        &format!("{}/", app.base),
        &[
            ("step", "answer"),
            ("lang", "zh"),
            ("code", &code),
            ("answer", "村子叫八家子"),
        ],
    )
    .await;
    assert_eq!(ans.status, 200);
    assert!(ans.body.contains("id=\"notice\""));
    let opened = app
        .office
        .intake_open(&list[0].id, "user:t", app.clock.now())
        .await
        .unwrap();
    assert_eq!(opened.messages.len(), 2);
    assert_eq!(opened.messages[1].direction, "seeker");
    assert_eq!(opened.messages[1].text.as_str(), "村子叫八家子");
}

#[tokio::test]
async fn check_back_is_byte_identical_across_every_state() {
    let app = spawn().await;
    let c = client();
    let code = TracingCode::parse("4821 0937 5512 0648 3395").unwrap();
    let url = format!("{}/", app.base);
    let read = || async {
        post(
            &c,
            &url,
            &[
                ("step", "read"),
                ("lang", "zh"),
                ("code", "4821 0937 5512 0648 3395"),
            ],
        )
        .await
        .body
    };
    let answer = || async {
        post(
            &c,
            &url,
            &[
                ("step", "answer"),
                ("lang", "ko"),
                ("code", "4821-0937-5512-0648-3395"),
                ("answer", "hello"),
            ],
        )
        .await
        .body
    };
    // 1. No such request.
    let none_read = read().await;
    let none_answer = answer().await;
    // 2. A request with this code, never opened.
    let p = &app.keys.peppers;
    let id = app
        .intake
        .submit(
            &NewIntake {
                code_lookup: p.code_lookup(&code),
                sealed_request: seal(&app.keys.office, b"{}"),
                sealed_reply_key: seal(&app.keys.office, p.reply_key(&code).to_text().as_bytes()),
            },
            app.clock.now(),
        )
        .await
        .unwrap();
    assert_eq!(read().await, none_read, "unopened differs from unknown");
    assert_eq!(
        answer().await,
        none_answer,
        "answer differs for a known code"
    );
    // 3. Opened (under review), 4. kept (matched, consent pending or declined: the office
    // keeps it), 5. released again: the same bytes while the office sends nothing.
    app.office
        .intake_open(&id, "user:t", app.clock.now())
        .await
        .unwrap();
    assert_eq!(read().await, none_read);
    app.office
        .intake_set_kept(&id, true, "user:t", app.clock.now())
        .await
        .unwrap();
    assert_eq!(read().await, none_read);
    assert_eq!(answer().await, none_answer);
    app.office
        .intake_set_kept(&id, false, "user:t", app.clock.now())
        .await
        .unwrap();
    assert_eq!(read().await, none_read);
    // Only a message the office actually sent changes the page, by exactly that message.
    app.office
        .intake_reply(&id, "REPLY-TEXT", "user:t", app.clock.now())
        .await
        .unwrap();
    let with = read().await;
    assert_ne!(with, none_read);
    assert_eq!(messages_of(&with), vec!["REPLY-TEXT"]);
    let date = &with[with.find("<small>").unwrap() + 7..with.find("</small>").unwrap()];
    let msg = format!("<div class=\"msg\"><small>{date}</small>REPLY-TEXT</div>\n");
    let none_marker = none_read.find("<p id=\"none\">").unwrap();
    let none_end = none_marker + none_read[none_marker..].find("</p>\n").unwrap() + 5;
    let expected = format!(
        "{}\n{}{}",
        &none_read[..none_marker],
        msg,
        &none_read[none_end..]
    );
    assert_eq!(with, expected);
}

#[tokio::test]
async fn validation_keeps_everything_and_speaks_the_seekers_language() {
    let app = spawn().await;
    let c = client();
    let url = format!("{}/", app.base);
    let mut form = good_form("ko");
    for f in form.iter_mut() {
        if f.0 == "m_year" {
            f.1 = "19x8";
        }
        if f.0 == "c_day" {
            f.1 = "31";
        }
    }
    let r = post(&c, &url, &form).await;
    assert_eq!(r.status, 422);
    assert_public_page(&r);
    assert!(r.body.contains("lang=\"ko\""));
    assert!(
        r.by_id("m_year-error").unwrap().contains("네 자리"),
        "{}",
        r.body
    );
    assert!(r.by_id("c_day-error").is_some(), "June has 30 days");
    for (k, v) in &form {
        if !["lang", "step"].contains(k) {
            assert!(r.body.contains(v), "{k} was lost");
        }
    }
    assert!(r.body.contains("<option value=\"1\" selected>"));
    assert_eq!(app.intake.count_requests().await.unwrap(), 0);
    // Nothing to match on: a name and one more detail are needed.
    let r = post(
        &c,
        &url,
        &[("step", "submit"), ("lang", "en"), ("note", "hello")],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.by_id("m_name1-error")
            .unwrap()
            .contains("at least one name")
    );
    assert!(r.by_id("form-error").unwrap().contains("one more detail"));
    assert!(r.body.contains(">hello</textarea>"));
    let r = post(
        &c,
        &url,
        &[("step", "submit"), ("lang", "zh"), ("c_name1", "王明")],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.by_id("form-error").unwrap().contains("至少再写一项"));
    // A mistyped code gets a message about its form (no state is involved).
    let r = post(
        &c,
        &url,
        &[("step", "read"), ("lang", "en"), ("code", "1234")],
    )
    .await;
    assert!(r.by_id("code-error").unwrap().contains("20 digits"));
    assert!(r.body.contains("value=\"1234\""));
    assert_eq!(app.intake.count_requests().await.unwrap(), 0);
}

#[tokio::test]
async fn submissions_and_check_backs_are_rate_limited() {
    let app = spawn_with(reunite_web::IntakeConfig {
        submit_burst: 2,
        check_burst: 3,
        ..support::fast_config()
    })
    .await;
    let c = client();
    let url = format!("{}/", app.base);
    for _ in 0..2 {
        assert_eq!(post(&c, &url, &good_form("zh")).await.status, 200);
    }
    let r = post(&c, &url, &good_form("zh")).await;
    assert_eq!(r.status, 429);
    assert_public_page(&r);
    let read = [
        ("step", "read"),
        ("lang", "zh"),
        ("code", "4821 0937 5512 0648 3395"),
    ];
    for _ in 0..3 {
        assert_eq!(post(&c, &url, &read).await.status, 200);
    }
    assert_eq!(post(&c, &url, &read).await.status, 429);
    // Refilled after a while (the limiter runs on the injected clock).
    app.clock.advance_millis(60_000);
    assert_eq!(post(&c, &url, &read).await.status, 200);
}

#[tokio::test]
async fn every_public_response_has_the_headers_and_no_cookie() {
    let app = spawn().await;
    let c = client();
    for path in ["/", "/p.css", "/p.js", "/icon", "/nothing-here", "/office"] {
        let r = get(&c, &format!("{}{path}", app.base)).await;
        assert_public_headers(&r);
        assert!(r.body.len() <= LIMIT);
        if path == "/nothing-here" || path == "/office" {
            assert_eq!(r.status, 404, "a mirror serves no office");
        } else {
            assert_eq!(r.status, 200);
        }
    }
    // A cross-site post is refused before routing.
    let r = c
        .post(format!("{}/", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("step", "form")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn quick_exit_leads_to_the_neutral_site() {
    let app = spawn().await;
    let c = client();
    let r = post(&c, &format!("{}/", app.base), &[("step", "exit")]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("<meta http-equiv=\"refresh\" content=\"0;url=https://www.baidu.com/\">")
    );
    assert!(r.body.contains("rel=\"noreferrer\""));
    let home = get(&c, &format!("{}/", app.base)).await;
    assert!(home.body.contains("data-to=\"https://www.baidu.com/\""));
}

#[tokio::test]
async fn the_title_icon_and_prefix_are_configurable() {
    let app = spawn_with(reunite_web::IntakeConfig {
        prefix: "/n/".into(),
        title: "Weather".into(),
        icon: Some((b"ICONBYTES".to_vec(), "image/x-icon".into())),
        ..support::fast_config()
    })
    .await;
    let c = client();
    let home = get(&c, &format!("{}/n/", app.base)).await;
    assert!(home.body.contains("<title>Weather</title>"));
    assert!(home.body.contains("action=\"/n/\""));
    assert!(home.body.contains("href=\"/n/icon\""));
    let icon = get(&c, &format!("{}/n/icon", app.base)).await;
    assert_eq!(icon.body, "ICONBYTES");
    assert_eq!(get(&c, &format!("{}/", app.base)).await.status, 404);
}

#[tokio::test]
async fn no_public_page_or_text_carries_a_sensitive_word() {
    use reunite_web::find_sensitive;
    // Every message of the public pages, in every language.
    for lang in reunite_domain::Lang::ALL {
        let t = reunite_web::i18n::Tr::new(lang);
        for key in reunite_web::i18n::keys(lang)
            .into_iter()
            .filter(|k| k.starts_with("pub."))
        {
            assert_eq!(find_sensitive(t.s(key)), None, "{key} in {lang:?}");
        }
    }
    // Every public template file.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("public_")
        {
            let text = std::fs::read_to_string(&p).unwrap();
            assert_eq!(find_sensitive(&text), None, "{}", p.display());
        }
    }
    for f in ["public.css", "public.js", "public_icon.svg"] {
        let text =
            std::fs::read_to_string(format!("{}/static/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(find_sensitive(&text), None, "{f}");
    }
    // Every rendered page in every language.
    let app = spawn().await;
    let c = client();
    let url = format!("{}/", app.base);
    for lang in ["zh", "ko", "en"] {
        let mut pages = vec![get(&c, &url).await.body];
        for step in ["home", "form", "check", "exit", "nonsense"] {
            pages.push(post(&c, &url, &[("step", step), ("lang", lang)]).await.body);
        }
        pages.push(
            post(&c, &url, &[("step", "submit"), ("lang", lang)])
                .await
                .body,
        );
        pages.push(post(&c, &url, &good_form(lang)).await.body);
        pages.push(
            post(&c, &url, &[("step", "read"), ("lang", lang), ("code", "1")])
                .await
                .body,
        );
        pages.push(
            post(
                &c,
                &url,
                &[
                    ("step", "read"),
                    ("lang", lang),
                    ("code", "48210937551206483395"),
                ],
            )
            .await
            .body,
        );
        pages.push(
            post(
                &c,
                &url,
                &[
                    ("step", "answer"),
                    ("lang", lang),
                    ("code", "48210937551206483395"),
                    ("answer", "x"),
                ],
            )
            .await
            .body,
        );
        pages.push(get(&c, &format!("{url}missing")).await.body);
        for p in pages {
            // The seeker's own words are echoed back; the form's sample values are neutral.
            assert_eq!(
                find_sensitive(&p),
                None,
                "{lang}: {}",
                &p[p.find("<main>").unwrap_or(0)..]
            );
        }
    }
}

#[tokio::test]
async fn the_retention_job_deletes_unused_requests_on_a_simulated_clock() {
    let app = spawn().await;
    let c = client();
    let url = format!("{}/", app.base);
    let sent = post(&c, &url, &good_form("zh")).await;
    let code = sent.by_id("code").unwrap();
    let start = app.clock.now();
    // Day 179 of a 180-day retention: still there.
    app.clock.advance_millis(179 * 86_400_000);
    assert_eq!(
        reunite_web::purge_expired(&app.intake, app.clock.now(), 180)
            .await
            .unwrap(),
        0
    );
    // Day 181: the unanswered request and its code are gone; the code reads nothing (and
    // the page is the same as for any unknown code).
    app.clock.advance_millis(2 * 86_400_000);
    assert_eq!(
        reunite_web::purge_expired(&app.intake, app.clock.now(), 180)
            .await
            .unwrap(),
        1
    );
    assert_eq!(app.intake.count_requests().await.unwrap(), 0);
    let r = post(
        &c,
        &url,
        &[("step", "read"), ("lang", "zh"), ("code", &code)],
    )
    .await;
    assert!(r.body.contains("id=\"none\""));
    let _ = start;
}
