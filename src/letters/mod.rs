//! Personal codes in bulk and the printed letters that carry them (issue 12).
//!
//! Codes are stored hashed, so a code exists in clear only while its letter is
//! made: issuing is one act that plans (who gets a letter, how many new codes,
//! how many existing codes it would replace), makes the PDF with the new codes,
//! keeps the PDF (a file, or the documents store for the web), and only then
//! writes the codes' hashes in one transaction. A failure before that commit
//! changes no code; a code issued meanwhile by someone else makes the commit
//! refuse rather than replace it unasked.
//!
//! One letter per guardian, naming all their children of the campaign (a
//! guardian of pupils in two classes gets one code and one letter). By
//! default, only guardians without a code get one; replacing codes is asked
//! for explicitly, and the number of codes replaced is confirmed beforehand.

pub mod command;
pub mod job;

use crate::db::letters::{self, RecipientRow};
use crate::db::{Db, family};
use crate::domain::{access_code, words};
use crate::pdf::{self, Line, QrMatrix};

/// Whom the letters are for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A class: guardians of at least one pupil of it (`None`: every class).
    /// With [`Selection::dossiers`], both must hold for one same child.
    pub division: Option<String>,
    /// The guardians of chosen pupils (their dossiers) only.
    pub dossiers: Option<Vec<i64>>,
    /// Only guardians with neither an e-mail nor a mobile phone (whom no
    /// e-mail or SMS can reach).
    pub only_without_contact: bool,
}

/// A child named on a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub dossier_id: i64,
    pub name: String,
    pub division: String,
}

/// One guardian's letter.
#[derive(Debug, Clone)]
pub struct Letter {
    pub guardian_id: i64,
    /// "Mme Awa Diallo".
    pub name: String,
    /// The postal address, line by line.
    pub address: Vec<String>,
    /// The guardian has a code already (a letter replaces it).
    pub has_code: bool,
    pub children: Vec<Child>,
}

/// What issuing would do, before doing it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The letters to print, in order (by class, then name).
    pub letters: Vec<Letter>,
    /// Codes given to guardians who have none.
    pub new_codes: usize,
    /// Existing codes replaced (they stop working).
    pub replaced: usize,
    /// Guardians of the selection left out because they have a code and
    /// codes are not replaced.
    pub left_out: usize,
    pub replace: bool,
}

/// Groups (guardian, child) rows into one letter per guardian of the selection.
fn letters_of(rows: Vec<RecipientRow>, selection: &Selection) -> Vec<Letter> {
    let mut order: Vec<i64> = Vec::new();
    let mut by_guardian: std::collections::HashMap<i64, (Letter, bool, bool)> =
        std::collections::HashMap::new();
    for row in rows {
        let entry = by_guardian.entry(row.guardian_id).or_insert_with(|| {
            order.push(row.guardian_id);
            let mut address: Vec<String> = row
                .address_lines
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            let town = format!("{} {}", row.postcode, row.city).trim().to_owned();
            if !town.is_empty() {
                address.push(town);
            }
            let has_contact = !row.email.trim().is_empty() || !row.phone_mobile.trim().is_empty();
            let letter = Letter {
                guardian_id: row.guardian_id,
                name: words::person(&row.civility, &row.first_name, &row.last_name),
                address,
                has_code: row.has_code,
                children: Vec::new(),
            };
            (letter, has_contact, false)
        });
        let in_division = selection
            .division
            .as_deref()
            .is_none_or(|division| division == row.division);
        let chosen = selection
            .dossiers
            .as_ref()
            .is_none_or(|ids| ids.contains(&row.dossier_id));
        if in_division && chosen {
            entry.2 = true;
        }
        let child = Child {
            dossier_id: row.dossier_id,
            name: format!("{} {}", row.pupil_first_name, row.pupil_last_name),
            division: row.division,
        };
        if !entry.0.children.contains(&child) {
            entry.0.children.push(child);
        }
    }
    order
        .into_iter()
        .filter_map(|id| by_guardian.remove(&id))
        .filter(|(_, has_contact, selected)| {
            *selected && !(selection.only_without_contact && *has_contact)
        })
        .map(|(letter, _, _)| letter)
        .collect()
}

/// Who would get a letter and a code, and which codes would be replaced.
pub async fn plan(
    db: &Db,
    school_id: i64,
    selection: &Selection,
    replace: bool,
) -> sqlx::Result<Plan> {
    let rows = letters::recipient_rows(db.pool(), school_id).await?;
    let selected = letters_of(rows, selection);
    let with_code = selected.iter().filter(|l| l.has_code).count();
    let letters: Vec<Letter> = selected
        .into_iter()
        .filter(|l| replace || !l.has_code)
        .collect();
    Ok(Plan {
        new_codes: letters.iter().filter(|l| !l.has_code).count(),
        replaced: if replace { with_code } else { 0 },
        left_out: if replace { 0 } else { with_code },
        letters,
        replace,
    })
}

/// The letters' school-side content.
#[derive(Debug, Clone)]
pub struct Heading {
    pub school_name: String,
    /// The school's text, paragraphs separated by blank lines.
    pub text: String,
    /// The family sign-in page, absolute (`https://…/famille/connexion`).
    pub sign_in_url: String,
}

/// The text of a letter when the school writes none.
pub const DEFAULT_TEXT: &str = "Madame, Monsieur,\n\nLa réinscription de votre enfant au collège se fait \
     en ligne, depuis un téléphone ou un ordinateur. Vous n'avez à indiquer que ce qui a changé depuis \
     l'an dernier et à joindre les pièces demandées ; cela prend quelques minutes.\n\nSans accès à internet, \
     adressez-vous au secrétariat du collège.";

/// The address the QR code opens: the sign-in page with the code in the
/// fragment, which browsers never send to the server (nor in a `Referer`);
/// the page's script copies it into the code field.
pub fn qr_address(sign_in_url: &str, code: &str) -> String {
    format!("{sign_in_url}#code={code}")
}

fn qr_matrix(text: &str) -> QrMatrix {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("an address of a few dozen bytes fits in a QR code");
    QrMatrix {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    }
}

/// The lines of one letter.
fn letter_lines(heading: &Heading, letter: &Letter, code: &str, out: &mut Vec<Line>) {
    out.push(Line::Title(heading.school_name.clone()));
    out.push(Line::Text(letter.name.clone()));
    for line in &letter.address {
        out.push(Line::Text(line.clone()));
    }
    out.push(Line::Blank);
    out.push(Line::Heading("Réinscription au collège, en ligne".into()));
    for paragraph in heading.text.split("\n\n") {
        let paragraph = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        if !paragraph.is_empty() {
            out.push(Line::Text(paragraph));
            out.push(Line::Blank);
        }
    }
    out.push(Line::Heading(if letter.children.len() > 1 {
        "Pour vos enfants".into()
    } else {
        "Pour votre enfant".into()
    }));
    for child in &letter.children {
        let class = if child.division.is_empty() {
            String::new()
        } else {
            format!(" (classe {})", child.division)
        };
        out.push(Line::Text(format!("{}{class}", child.name)));
    }
    out.push(Line::Blank);
    out.push(Line::Heading("Votre code personnel".into()));
    out.push(Line::Code(code.to_owned()));
    out.push(Line::Text(format!("1. Allez sur {}", heading.sign_in_url)));
    out.push(Line::Text(
        "2. Saisissez ce code et la date de naissance de votre enfant.".into(),
    ));
    out.push(Line::Text(
        "Avec un téléphone, scannez ce code QR : la page s'ouvre avec votre code déjà saisi."
            .into(),
    ));
    out.push(Line::Qr(qr_matrix(&qr_address(&heading.sign_in_url, code))));
    out.push(Line::Text(
        "Ce code est personnel : ne le communiquez à personne. Si le collège vous en donne un nouveau, \
         celui-ci ne fonctionnera plus."
            .into(),
    ));
    out.push(Line::PageBreak);
}

/// Letters with their new codes, made but not yet committed.
pub struct Prepared {
    pub plan: Plan,
    codes: Vec<String>,
    pub pdf: Vec<u8>,
}

/// Where [`prepare`] reports its progress (a job's progress bar, or nowhere).
pub trait Progress: Sync {
    fn report(&self, done: usize, total: usize) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl Progress for () {
    async fn report(&self, _: usize, _: usize) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Makes a code per letter and the PDF (one page per letter), reporting
/// (letters done, total) every 100 letters.
pub async fn prepare(
    plan: Plan,
    heading: &Heading,
    progress: &impl Progress,
) -> anyhow::Result<Prepared> {
    let total = plan.letters.len();
    let codes: Vec<String> = plan
        .letters
        .iter()
        .map(|_| access_code::generate())
        .collect();
    let mut lines = Vec::with_capacity(total * 24);
    for (n, (letter, code)) in plan.letters.iter().zip(&codes).enumerate() {
        if n % 100 == 0 {
            progress.report(n, total).await?;
        }
        letter_lines(heading, letter, code, &mut lines);
    }
    let pdf = pdf::render(&format!("Courriers — {}", heading.school_name), &lines);
    progress.report(total, total).await?;
    Ok(Prepared { plan, codes, pdf })
}

/// A code was issued to a guardian of the batch between its plan and its
/// commit: nothing was changed, the batch is to be asked again.
#[derive(Debug, thiserror::Error)]
#[error("un code personnel a été donné entre-temps à un responsable de ce courrier : recommencez")]
pub struct Conflict;

/// Writes the hashes of the prepared codes in the caller's transaction (and
/// ends the sessions of the guardians whose code is replaced);
/// `(new codes, replaced codes)`. Refuses ([`Conflict`]) when a guardian
/// planned without a code has one now: only codes counted in the plan (and
/// confirmed) are replaced.
pub async fn commit_codes(
    conn: &mut sqlx::AnyConnection,
    prepared: &Prepared,
) -> anyhow::Result<(usize, usize)> {
    let replace = prepared.plan.replace;
    for (letter, code) in prepared.plan.letters.iter().zip(&prepared.codes) {
        let hash = access_code::hash(code);
        // A guardian planned without a code is issued one only if they still
        // have none; one planned with a code is replaced, as confirmed.
        let set = family::issue_access_code(
            &mut *conn,
            letter.guardian_id,
            &hash,
            letter.has_code && replace,
        )
        .await?;
        if !set {
            return Err(Conflict.into());
        }
    }
    Ok((prepared.plan.new_codes, prepared.plan.replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        guardian: i64,
        pupil: &str,
        division: &str,
        email: &str,
        has_code: bool,
    ) -> RecipientRow {
        RecipientRow {
            guardian_id: guardian,
            civility: "Mme".into(),
            last_name: format!("Nom{guardian}"),
            first_name: "Awa".into(),
            email: email.into(),
            phone_mobile: String::new(),
            address_lines: "3 rue des Lilas\nBât. B".into(),
            postcode: "75011".into(),
            city: "Paris".into(),
            has_code,
            dossier_id: pupil.len() as i64,
            pupil_first_name: pupil.into(),
            pupil_last_name: "X".into(),
            division: division.into(),
        }
    }

    #[test]
    fn one_letter_per_guardian_names_all_their_children_and_a_class_selects_by_any_child() {
        let rows = vec![
            row(1, "Léa", "4A", "", false),
            row(2, "Tom", "4A", "a@b.fr", false),
            row(1, "Noé", "6B", "", false),
        ];
        let all = letters_of(rows.clone(), &Selection::default());
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].children.len(), 2);
        assert_eq!(all[0].address, ["3 rue des Lilas", "Bât. B", "75011 Paris"]);
        let sixth = Selection {
            division: Some("6B".into()),
            ..Selection::default()
        };
        let in_6b = letters_of(rows.clone(), &sixth);
        assert_eq!(in_6b.len(), 1);
        assert_eq!(
            in_6b[0].children.len(),
            2,
            "the letter names the 4A child too"
        );
        let without_contact = Selection {
            only_without_contact: true,
            ..Selection::default()
        };
        let ids: Vec<i64> = letters_of(rows, &without_contact)
            .iter()
            .map(|l| l.guardian_id)
            .collect();
        assert_eq!(ids, [1]);
    }

    #[test]
    fn the_qr_code_holds_the_code_in_the_fragment_only() {
        let address = qr_address("https://dossiersco.fr/famille/connexion", "K7QF-3MZA-9TXW");
        let url = url::Url::parse(&address).unwrap();
        assert_eq!(url.path(), "/famille/connexion");
        assert_eq!(url.query(), None);
        assert_eq!(url.fragment(), Some("code=K7QF-3MZA-9TXW"));
        let matrix = qr_matrix(&address);
        assert_eq!(matrix.dark.len(), matrix.width * matrix.width);
    }
}
