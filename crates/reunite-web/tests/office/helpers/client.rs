//! A browser-like HTTP client: keeps the session cookie (it is `Secure`, which an ordinary
//! client would not send over plain http to 127.0.0.1), never follows redirects by itself.

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub async fn read(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        Self {
            status,
            headers,
            body,
        }
    }
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn set_cookie(&self) -> Option<&str> {
        self.headers.get("set-cookie").and_then(|v| v.to_str().ok())
    }
    /// The value of a hidden input, e.g. the form token.
    pub fn input(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_string())
    }
    /// The text of the element with this id.
    pub fn by_id(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let start = at + self.body[at..].find('>')? + 1;
        let end = self.body[start..].find('<')?;
        Some(self.body[start..start + end].to_string())
    }
    /// The id in a redirect to what was just saved: `{prefix}{id}?saved=1`.
    pub fn saved_id(&self, prefix: &str) -> String {
        assert_eq!(self.status, 303, "{}", self.body);
        self.location()
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix("?saved=1"))
            .unwrap_or_else(|| panic!("redirect to {prefix}…?saved=1: {}", self.location()))
            .to_string()
    }
}

/// An HTTP client that does not follow redirects.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(app: &super::TestApp) -> Self {
        Self {
            http: no_redirects(),
            base: app.base.clone(),
            cookie: None,
        }
    }

    fn absorb(&mut self, headers: &reqwest::header::HeaderMap) {
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if name == "__Host-reunite-session" {
                self.cookie = if value.is_empty() {
                    None
                } else {
                    Some(value.to_string())
                };
            }
        }
    }

    async fn send(&mut self, mut req: reqwest::RequestBuilder) -> Page {
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("__Host-reunite-session={c}"));
        }
        let page = Page::read(req.send().await.unwrap()).await;
        self.absorb(&page.headers);
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    /// The form token of the page at `path` (which must answer 200).
    pub async fn csrf_of(&mut self, path: &str) -> String {
        let p = self.get(path).await;
        assert_eq!(p.status, 200, "{path}: {}", p.body);
        p.input("csrf").expect("form token")
    }
}
