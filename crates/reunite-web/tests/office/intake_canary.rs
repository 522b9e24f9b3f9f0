//! Threat-model requirement 16 for the public side: canary values typed into every field of
//! the public form, into the code and the answer, never reach the logs (captured at the most
//! verbose level), the database file or its WAL in clear.

use crate::helpers::public as support;

#[tokio::test]
async fn public_canaries_never_reach_logs_or_disk_in_clear() {
    let sink = crate::helpers::logs::log_sink();
    let app = support::spawn().await;
    let c = support::client();
    let url = format!("{}/", app.base);
    let mut form: Vec<(&str, String)> = vec![("lang", "zh".into()), ("step", "submit".into())];
    let fields = [
        "m_name1",
        "m_name2",
        "m_name3",
        "m_origin",
        "c_name1",
        "c_name2",
        "c_place",
        "f_name1",
        "f_name2",
        "home",
        "sep_place",
        "note",
    ];
    for f in fields {
        form.push((f, format!("canary{f}q7")));
    }
    form.push(("m_year", "1977".into()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sent = support::post(&c, &url, &pairs).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let code = sent.by_id("code").unwrap();
    let ans = support::post(
        &c,
        &url,
        &[
            ("step", "answer"),
            ("lang", "zh"),
            ("code", &code),
            ("answer", "canaryanswerq7"),
        ],
    )
    .await;
    assert_eq!(ans.status, 200);
    // Also a validation failure with canaries, and a wrong code.
    support::post(
        &c,
        &url,
        &[
            ("step", "submit"),
            ("note", "canaryrejectedq7"),
            ("m_year", "canaryyearq7"),
        ],
    )
    .await;
    support::post(&c, &url, &[("step", "read"), ("code", "canarycodeq7")]).await;
    let mut canaries: Vec<String> = fields.iter().map(|f| format!("canary{f}q7")).collect();
    canaries.extend(
        [
            "canaryanswerq7",
            "canaryrejectedq7",
            "canaryyearq7",
            "canarycodeq7",
        ]
        .map(String::from),
    );
    canaries.push(code.clone());
    canaries.push(code.replace(' ', ""));
    // Every test's logs (the strict search); this test's own were captured.
    let logs = sink.text();
    assert!(sink.this_test().contains("request"), "logs were captured");
    let mut files = vec![];
    for name in ["reunite.db", "reunite.db-wal"] {
        let p = app.dir.join(name);
        if p.exists() {
            files.push((name, std::fs::read(p).unwrap()));
        }
    }
    assert!(!files.is_empty());
    for canary in &canaries {
        assert!(!logs.contains(canary.as_str()), "{canary} in the logs");
        for (name, bytes) in &files {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} in {name}"
            );
        }
    }
    // The office can still read everything.
    let list = app.office.intake_list(10).await.unwrap();
    assert_eq!(list.len(), 1);
    let opened = app
        .office
        .intake_open(
            &list[0].id,
            "user:t",
            reunite_domain::Clock::now(&*app.clock),
        )
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&opened.payload).contains("canarynoteq7"));
}
