//! The enrolment QR code for a TOTP secret, drawn on the server as inline SVG (no external
//! service, no image request). The TOTP arithmetic itself lives in `reunite_crypto::totp`.

pub(crate) use reunite_crypto::totp::{base32, grouped, new_secret, verify};

/// The `otpauth://` URI an authenticator app reads from the QR code. The account label is
/// the issuer only: the staff member's name is not put into her phone's app.
pub fn otpauth_uri(issuer: &str, secret: &[u8]) -> String {
    let issuer: String = issuer
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "otpauth://totp/{issuer}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        base32(secret)
    )
}

/// The URI as an inline SVG QR code.
pub fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_inline_svg_without_other_origins() {
        let uri = otpauth_uri("Notes", &new_secret());
        assert!(uri.starts_with("otpauth://totp/Notes?secret="));
        let svg = qr_svg(&uri);
        assert!(svg.contains("<svg"));
        let without_ns = svg.replace("http://www.w3.org/2000/svg", "");
        assert!(!without_ns.contains("http"));
    }
}
