//! Field rules shared by request types (used with `#[validate(custom(function = …))]`).

use validator::ValidationError;

fn fail(code: &'static str, message: &'static str) -> ValidationError {
    let mut e = ValidationError::new(code);
    e.message = Some(message.into());
    e
}

/// A DNS domain such as `contoso.example`: 2+ labels of `a-z0-9-`, each 1–63 characters and not
/// starting or ending with `-`, at most 253 characters in all. Lower case only.
pub fn domain(value: &str) -> Result<(), ValidationError> {
    let labels: Vec<&str> = value.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if value.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) {
        Ok(())
    } else {
        Err(fail(
            "domain",
            "must be a lower-case domain name such as contoso.example",
        ))
    }
}

/// An ISO 3166-1 alpha-2 country code in upper case, e.g. `US`.
pub fn country(value: &str) -> Result<(), ValidationError> {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(fail(
            "country",
            "must be an ISO 3166-1 alpha-2 code such as US",
        ))
    }
}

/// A culture (BCP 47 language tag) such as `en-US`.
pub fn culture(value: &str) -> Result<(), ValidationError> {
    let ok = (2..=16).contains(&value.len())
        && value.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(fail("culture", "must be a language tag such as en-US"))
    }
}

/// Not blank after trimming.
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.chars().all(is_blank) {
        Err(fail("blank", "must not be blank"))
    } else {
        Ok(())
    }
}

/// The bidirectional-text controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): in a name
/// they make what is shown differ from what is stored (a right-to-left override turns
/// `gnp.exe` around), so names refuse them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A name (organisation, person, application, title): not blank ([`not_blank`]) and free of
/// bidirectional-text controls ([`is_bidi_control`]). The document's pattern for names says the
/// same: `^[^B]*[^\s\u0085B][^B]*$` with `B` the controls.
pub fn name(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(is_bidi_control) {
        return Err(fail(
            "bidi_control",
            "must not contain bidirectional-text control characters (U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)",
        ));
    }
    not_blank(value)
}

/// Whether `c` is white space for [`not_blank`]: Unicode `White_Space` (what `str::trim`
/// removes) and U+FEFF — exactly the characters the document's pattern `[^\s\u0085]` does not
/// count (ECMA-262 `\s` plus U+0085), so the server and the document agree on every string.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// An absolute `http://` or `https://` URL (combine with `#[validate(url)]`, which checks the
/// syntax); other schemes such as `ftp:` or `javascript:` are refused.
pub fn http_url(value: &str) -> Result<(), ValidationError> {
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(fail("url", "must be an http:// or https:// URL"))
    }
}

/// A telephone number as people write it, e.g. `+1 425 555 0100`: at most 32 characters of
/// digits, spaces and `+ - ( ) .`, with at least one digit.
pub fn phone(value: &str) -> Result<(), ValidationError> {
    let ok = value.chars().count() <= 32
        && value.chars().any(|c| c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'));
    if ok {
        Ok(())
    } else {
        Err(fail(
            "phone",
            "must be a phone number of at most 32 characters such as +1 425 555 0100",
        ))
    }
}

/// An offer id: a UUID in canonical lower-case form (see `models::offer::is_valid_id`).
pub fn offer_id(value: &str) -> Result<(), ValidationError> {
    if crate::models::offer::is_valid_id(value) {
        Ok(())
    } else {
        Err(fail(
            "offer_id",
            "must be an offer id (a UUID from GET /v1/offers)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{name, not_blank};

    #[test]
    fn names_refuse_bidi_controls_and_keep_other_scripts() {
        for refused in [
            "Contoso\u{202e}exe.txt",
            "\u{2066}a",
            "a\u{200f}",
            "\u{202a}",
        ] {
            assert!(name(refused).is_err(), "{refused:?} passed");
        }
        for kept in [
            "Contoso",
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd}",
            "a\u{200b}b",
            "Zoë",
        ] {
            assert!(name(kept).is_ok(), "{kept:?} refused");
        }
    }

    #[test]
    fn blank_means_what_the_documented_pattern_does_not_match() {
        for blank in [
            "",
            " ",
            "\t\n",
            "\u{85}",
            "\u{a0}\u{3000}",
            "\u{feff}",
            "\u{2028} ",
        ] {
            assert!(not_blank(blank).is_err(), "{blank:?} passed");
        }
        for kept in ["a", " a ", "\u{85}x", "\u{200b}"] {
            assert!(not_blank(kept).is_ok(), "{kept:?} refused");
        }
    }
}
