//! Single-use, expiring sign-in links, sent in e-mail and SMS invitations and
//! reminders instead of a personal code, so that they never replace the code
//! of a printed letter.
//!
//! The token (100 random bits, in the codes' alphabet so that it can be typed)
//! travels in the link's fragment (`/famille/lien#jeton=…`), which browsers
//! never send to a server: it reaches neither our logs, nor the reverse
//! proxy's, nor a `Referer`. The page's script puts it in its form, which is
//! POSTed with the child's birth date; only the token's SHA-256 is stored. A
//! link works once (it is used when the family signs in with it) and until it
//! expires (`sign_in_link_days`); the birth date is checked, and counted
//! against the guardian's lockout, as with the code.

use sqlx::AnyConnection;

use crate::db::{now_ms, sign_in_links};
use crate::domain::access_code;

/// Symbols of a token (20 of the codes' 32: 100 bits).
const LENGTH: usize = 20;

/// A new link for `guardian_id`, valid `days` days; returns the token.
pub async fn issue(conn: &mut AnyConnection, guardian_id: i64, days: u32) -> sqlx::Result<String> {
    issue_to(conn, guardian_id, days, None).await
}

/// [`issue`], leading to `next_path` (a page of ours) once used.
pub async fn issue_to(
    conn: &mut AnyConnection,
    guardian_id: i64,
    days: u32,
    next_path: Option<&str>,
) -> sqlx::Result<String> {
    let token = generate();
    let expires_at = now_ms() + i64::from(days) * 24 * 3600 * 1000;
    sign_in_links::create(
        &mut *conn,
        guardian_id,
        &access_code::hash(&token),
        expires_at,
        next_path,
    )
    .await?;
    Ok(token)
}

/// The address of the link to `token`.
pub fn url(base_url: &str, token: &str) -> String {
    format!(
        "{}/famille/lien#jeton={token}",
        base_url.trim_end_matches('/')
    )
}

fn generate() -> String {
    let mut token = String::with_capacity(LENGTH + 4);
    while token.replace('-', "").len() < LENGTH {
        token.push_str(&access_code::generate().replace('-', ""));
    }
    let raw: String = token.chars().take(LENGTH).collect();
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_has_twenty_symbols_of_the_codes_alphabet_and_its_link_keeps_it_in_the_fragment() {
        let token = generate();
        assert_eq!(token.len(), 24, "{token}");
        assert_eq!(access_code::normalise(&token).len(), 20);
        assert_ne!(generate(), token);
        assert_eq!(
            url("https://dossiersco.fr/", "ABCD"),
            "https://dossiersco.fr/famille/lien#jeton=ABCD"
        );
    }
}
