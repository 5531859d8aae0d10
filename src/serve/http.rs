//! HTTP plumbing for `threshold serve`: requests read with a size limit, forms and
//! cookies parsed, responses built with the security headers every page carries, and
//! random 128-bit ids.

use std::io::{Cursor, Read};

use tiny_http::{Header, Method, Request, Response, StatusCode};

/// The largest request body read; anything larger is refused with 413.
pub const MAX_BODY: usize = 64 * 1024;

/// A request as the handlers see it: method, path, query, cookies and form.
#[derive(Debug)]
pub struct Req {
    pub post: bool,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    /// The `Origin` header, when the browser sent one.
    pub origin: Option<String>,
    pub host: Option<String>,
    /// `Sec-Fetch-Site`, when the browser sent it.
    pub fetch_site: Option<String>,
    pub authorization: Option<String>,
}

impl Req {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        find(&self.cookies, name)
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        find(&self.form, name)
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }

    /// Whether the browser says the request comes from another site: `Sec-Fetch-Site`
    /// other than `same-origin` or `none`, or an `Origin` naming another host (an
    /// opaque `null` origin proves nothing either way; the CSRF token decides).
    pub fn cross_origin(&self) -> bool {
        if matches!(self.fetch_site.as_deref(), Some("cross-site" | "same-site")) {
            return true;
        }
        match (self.origin.as_deref(), self.host.as_deref()) {
            (None | Some("null"), _) => false,
            (Some(o), Some(h)) => {
                let o = o
                    .strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
                    .unwrap_or(o);
                o != h
            }
            (Some(_), None) => true,
        }
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    TooLarge,
    Bad,
}

/// Reads the request line, headers and (for a POST) the body, at most [`MAX_BODY`] bytes.
pub fn read(request: &mut Request) -> Result<Req, ReadError> {
    let url = request.url().to_string();
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p.to_string(), parse_urlencoded(q)),
        None => (url, Vec::new()),
    };
    let mut req = Req {
        post: *request.method() == Method::Post,
        path: percent_decode(&path),
        query,
        cookies: Vec::new(),
        form: Vec::new(),
        origin: None,
        host: None,
        fetch_site: None,
        authorization: None,
    };
    for h in request.headers() {
        let value = h.value.as_str().to_string();
        if h.field.equiv("Cookie") {
            for part in value.split(';') {
                if let Some((k, v)) = part.trim().split_once('=') {
                    req.cookies.push((k.to_string(), v.to_string()));
                }
            }
        } else if h.field.equiv("Origin") {
            req.origin = Some(value);
        } else if h.field.equiv("Host") {
            req.host = Some(value);
        } else if h.field.equiv("Sec-Fetch-Site") {
            req.fetch_site = Some(value);
        } else if h.field.equiv("Authorization") {
            req.authorization = Some(value);
        }
    }
    if req.post {
        if request.body_length().is_some_and(|n| n > MAX_BODY) {
            return Err(ReadError::TooLarge);
        }
        let mut body = Vec::new();
        request
            .as_reader()
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|_| ReadError::Bad)?;
        if body.len() > MAX_BODY {
            return Err(ReadError::TooLarge);
        }
        let body = String::from_utf8(body).map_err(|_| ReadError::Bad)?;
        req.form = parse_urlencoded(&body);
    }
    Ok(req)
}

/// `a=1&b=x+y` as pairs, percent-decoded.
pub fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `s` made safe inside a URL's query (everything but letters, digits, `-`, `_` and `.`
/// percent-encoded).
pub fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A response under construction.
pub type Resp = Response<Cursor<Vec<u8>>>;

fn header(k: &str, v: &str) -> Header {
    Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("a valid header")
}

/// The headers every response carries: no scripts, no framing, no referrer to other
/// sites (attempt links are secrets), no caching of personal pages.
fn secure(mut r: Resp) -> Resp {
    for (k, v) in [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
    ] {
        r.add_header(header(k, v));
    }
    r
}

pub fn with_body(status: u16, content_type: &str, body: Vec<u8>) -> Resp {
    let r = Response::from_data(body)
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", content_type));
    secure(r)
}

pub fn html(status: u16, body: String) -> Resp {
    with_body(status, "text/html; charset=utf-8", body.into_bytes())
}

pub fn text(status: u16, body: &str) -> Resp {
    with_body(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

/// A download: `filename` must be plain ASCII.
pub fn download(content_type: &str, filename: &str, body: Vec<u8>) -> Resp {
    with_body(200, content_type, body).with_header(header(
        "Content-Disposition",
        &format!("attachment; filename=\"{filename}\""),
    ))
}

/// 303 See Other: after a POST, the browser asks for `to` with a GET.
pub fn redirect(to: &str) -> Resp {
    with_body(303, "text/plain; charset=utf-8", Vec::new()).with_header(header("Location", to))
}

/// Adds a session cookie: `HttpOnly`, `SameSite=Strict`, for the whole site.
pub fn set_cookie(r: Resp, name: &str, value: &str, max_age_days: u32) -> Resp {
    r.with_header(header(
        "Set-Cookie",
        &format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            u64::from(max_age_days) * 86_400
        ),
    ))
}

/// A random 128-bit id as 32 hex digits, from the operating system's generator.
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random generator");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Whether `s` looks like an id made by [`random_id`].
pub fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_and_percent() {
        assert_eq!(
            parse_urlencoded("a=x+y&b=%3Cs%3E&c"),
            vec![
                ("a".into(), "x y".into()),
                ("b".into(), "<s>".into()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%e2%80%9c"), "\u{201c}");
    }

    #[test]
    fn ids_are_128_bits_of_hex_and_secrets_compare_whole() {
        let a = random_id();
        assert!(is_id(&a));
        assert_ne!(a, random_id());
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
