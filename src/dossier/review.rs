//! The school's list of a campaign's dossiers: one [`Entry`] per dossier
//! (what the list, its filters, its export and its bulk validation read),
//! computed from the diff ([`super::diff::changes`], the rules of
//! [`super::diff::for_school`]) so that "changed"
//! means the same on the list, the dossier page and the family's summary.
//! Filters, search, sort and pages are plain functions over the entries: the
//! school is read in bulk once (`facts::of_school`), whatever its size.

use std::cmp::Ordering;

use super::diff;
use super::facts::Listed;
use crate::domain::dossier_state::DossierState;

/// A dossier as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub dossier_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub ine: String,
    pub division: String,
    /// This year's MEF, as SIECLE names it (empty when unknown).
    pub mef: String,
    pub state: DossierState,
    /// The number of changes (see `diff::SchoolView::changes`).
    pub changes: usize,
    /// The guardians answered some question differently.
    pub conflicts: bool,
    /// Pieces the school has to check (see `facts::Listed::pieces_to_check`).
    pub pieces_to_check: usize,
    /// An option asked for is beyond its capacity.
    pub waiting_list: bool,
    pub submitted_at: Option<i64>,
    /// No guardian has ever signed in (set by the caller, who reads the
    /// sign-ins: see `db::dashboard::never_visited`).
    pub never_came: bool,
}

impl Entry {
    /// The list's reading of a dossier: its changes counted as the dossier
    /// page counts them ([`diff::changes`]), without putting them in words.
    pub fn of(listed: &Listed) -> Self {
        let row = &listed.row;
        Entry {
            dossier_id: row.dossier_id,
            last_name: row.last_name.clone(),
            first_name: row.first_name.clone(),
            ine: row.ine.clone().unwrap_or_default(),
            division: row.division.clone(),
            mef: row.mef_label.clone().unwrap_or_default(),
            state: row.state,
            changes: diff::changes(&listed.facts),
            conflicts: !diff::disagreements(&listed.facts).is_empty(),
            pieces_to_check: listed.pieces_to_check,
            waiting_list: !listed.facts.waiting.is_empty(),
            submitted_at: row.submitted_at,
            never_came: false,
        }
    }

    /// « MARTIN Léa ».
    pub fn name(&self) -> String {
        format!("{} {}", self.last_name, self.first_name)
    }

    /// Whether the bulk action « valider les dossiers sans modification »
    /// validates it: sent by the family (à vérifier) and without a single
    /// change, so nothing is left to decide.
    pub fn validatable_in_bulk(&self) -> bool {
        self.state == DossierState::Submitted && self.changes == 0
    }
}

/// A state's label with a capital, as a list cell or a queue name reads it
/// (« Envoyé à l'établissement »).
pub fn state_word(state: DossierState) -> String {
    let label = state.label();
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What the agent filters on; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub state: Option<DossierState>,
    pub division: Option<String>,
    pub mef: Option<String>,
    /// `Some(true)`: with changes only; `Some(false)`: without any.
    pub changed: Option<bool>,
    pub pieces_to_check: bool,
    pub conflicts: bool,
    pub waiting_list: bool,
    /// Pupils without an INE who stay (the dashboard's count: a pupil
    /// leaving the collège needs none).
    pub without_ine: bool,
    /// Dossiers none of whose guardians ever signed in.
    pub never_came: bool,
    /// A name (accents and case aside) or an INE.
    pub search: String,
}

/// Lower case, without accents, hyphens or apostrophes as spaces, single
/// spaces: how names are compared when searching.
pub fn folded(text: &str) -> String {
    let mapped: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' | 'ý' => 'y',
            'ñ' => 'n',
            '-' | '\'' | '’' => ' ',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    pub fn matches(&self, e: &Entry) -> bool {
        self.matches_folded(e, &folded(&self.search))
    }

    /// [`Self::matches`] with the search already folded (`wanted`), so that
    /// a list of 1,000 entries folds it once, not once per entry.
    fn matches_folded(&self, e: &Entry, wanted: &str) -> bool {
        self.state.is_none_or(|s| e.state == s)
            && self.division.as_ref().is_none_or(|d| &e.division == d)
            && self.mef.as_ref().is_none_or(|m| &e.mef == m)
            && self.changed.is_none_or(|c| (e.changes > 0) == c)
            && (!self.pieces_to_check || e.pieces_to_check > 0)
            && (!self.conflicts || e.conflicts)
            && (!self.waiting_list || e.waiting_list)
            && (!self.without_ine || (e.ine.is_empty() && e.state != DossierState::Leaving))
            && (!self.never_came || e.never_came)
            && Self::matches_search(e, wanted)
    }

    fn matches_search(e: &Entry, wanted: &str) -> bool {
        if wanted.is_empty() {
            return true;
        }
        if !e.ine.is_empty() && e.ine.eq_ignore_ascii_case(wanted.trim()) {
            return true;
        }
        let names = [
            folded(&format!("{} {}", e.last_name, e.first_name)),
            folded(&format!("{} {}", e.first_name, e.last_name)),
        ];
        names.iter().any(|n| n.contains(wanted))
    }

    /// How many of `entries` the filter keeps.
    pub fn count<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) -> usize {
        let wanted = folded(&self.search);
        entries
            .into_iter()
            .filter(|e| self.matches_folded(e, &wanted))
            .count()
    }
}

/// The column the list is sorted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Division, then name (the default).
    #[default]
    Division,
    Name,
    State,
    Changes,
    Submitted,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Name,
        SortKey::Division,
        SortKey::State,
        SortKey::Changes,
        SortKey::Submitted,
    ];

    /// As written in the query string (`tri=`).
    pub fn code(self) -> &'static str {
        match self {
            SortKey::Division => "classe",
            SortKey::Name => "nom",
            SortKey::State => "etat",
            SortKey::Changes => "modifications",
            SortKey::Submitted => "depot",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// `a` against `b`, each with its [`Folded`] names.
    fn compare(self, (a, fa): (&Entry, &Folded), (b, fb): (&Entry, &Folded)) -> Ordering {
        let by_name = || {
            fa.last_name
                .cmp(&fb.last_name)
                .then_with(|| fa.first_name.cmp(&fb.first_name))
                .then(a.dossier_id.cmp(&b.dossier_id))
        };
        match self {
            SortKey::Name => by_name(),
            SortKey::Division => a.division.cmp(&b.division).then_with(by_name),
            SortKey::State => state_rank(a.state)
                .cmp(&state_rank(b.state))
                .then_with(by_name),
            SortKey::Changes => a.changes.cmp(&b.changes).then_with(by_name),
            SortKey::Submitted => a.submitted_at.cmp(&b.submitted_at).then_with(by_name),
        }
    }
}

fn state_rank(state: DossierState) -> usize {
    DossierState::ALL
        .iter()
        .position(|s| *s == state)
        .unwrap_or(usize::MAX)
}

/// An entry's names as the sort compares them, folded once per entry (not
/// at each of the sort's comparisons).
struct Folded {
    last_name: String,
    first_name: String,
}

/// The entries `filter` keeps, sorted.
pub fn select(entries: Vec<Entry>, filter: &Filter, key: SortKey, descending: bool) -> Vec<Entry> {
    let wanted = folded(&filter.search);
    let mut kept: Vec<(Entry, Folded)> = entries
        .into_iter()
        .filter(|e| filter.matches_folded(e, &wanted))
        .map(|e| {
            let names = Folded {
                last_name: folded(&e.last_name),
                first_name: folded(&e.first_name),
            };
            (e, names)
        })
        .collect();
    kept.sort_by(|(a, fa), (b, fb)| {
        let order = key.compare((a, fa), (b, fb));
        if descending { order.reverse() } else { order }
    });
    kept.into_iter().map(|(e, _)| e).collect()
}

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based, within `1..=pages`.
    pub number: usize,
    pub size: usize,
    pub pages: usize,
}

impl Page {
    /// Page `number` of `total` items by pages of `size` (at least 1); a page
    /// beyond the last is the last.
    pub fn of(total: usize, number: usize, size: usize) -> Self {
        let size = size.max(1);
        let pages = total.div_ceil(size).max(1);
        Page {
            number: number.clamp(1, pages),
            size,
            pages,
        }
    }

    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = ((self.number - 1) * self.size).min(total);
        start..(start + self.size).min(total)
    }
}

/// The headers of the list's CSV export, in French.
pub const CSV_HEADERS: [&str; 10] = [
    "Nom",
    "Prénom",
    "INE",
    "Classe",
    "MEF",
    "État",
    "Modifications",
    "Pièces à vérifier",
    "Réponses différentes",
    "Envoyé le",
];

/// `entries` as a CSV file Excel opens as is: UTF-8 with a byte order mark,
/// `;` between cells (the French setting), CRLF line ends; a cell that a
/// spreadsheet would read as a formula starts with an apostrophe.
pub fn csv(entries: &[Entry]) -> String {
    fn cell(value: &str) -> String {
        let value = if value.starts_with(['=', '+', '-', '@']) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        if value.contains([';', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value
        }
    }
    let mut out = String::from("\u{feff}");
    out.push_str(&CSV_HEADERS.join(";"));
    out.push_str("\r\n");
    for e in entries {
        let row = [
            e.last_name.clone(),
            e.first_name.clone(),
            e.ine.clone(),
            e.division.clone(),
            e.mef.clone(),
            state_word(e.state),
            e.changes.to_string(),
            e.pieces_to_check.to_string(),
            if e.conflicts { "oui" } else { "non" }.to_owned(),
            e.submitted_at
                .map(crate::domain::words::paris_time)
                .unwrap_or_default(),
        ];
        let cells: Vec<String> = row.iter().map(|v| cell(v)).collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, last: &str, first: &str, state: DossierState, changes: usize) -> Entry {
        Entry {
            dossier_id: id,
            last_name: last.into(),
            first_name: first.into(),
            ine: format!("{id:010}AB"),
            division: "4A".into(),
            mef: "4EME".into(),
            state,
            changes,
            conflicts: false,
            pieces_to_check: 0,
            waiting_list: false,
            submitted_at: None,
            never_came: false,
        }
    }

    #[test]
    fn the_csv_starts_with_a_bom_and_french_headers_and_quotes_what_needs_it() {
        let mut e = entry(3, "DUPONT; fils", "=Léo", DossierState::Validated, 2);
        e.submitted_at = None;
        let csv = csv(&[e]);
        assert!(csv.starts_with("\u{feff}Nom;Prénom;INE;Classe;MEF;État;"));
        assert!(
            csv.contains("\r\n\"DUPONT; fils\";'=Léo;0000000003AB;4A;4EME;Validé par l'établissement;2;0;non;\r\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_search_finds_a_name_without_its_accents_or_an_exact_ine() {
        let e = entry(7, "LEFÈVRE", "Chloé", DossierState::Submitted, 0);
        let find = |q: &str| {
            Filter {
                search: q.into(),
                ..Filter::default()
            }
            .matches(&e)
        };
        assert!(find("lefevre"));
        assert!(find("chloe lef"));
        assert!(find("0000000007ab"));
        assert!(!find("martin"));
        assert!(!find("0000000007"));
    }

    #[test]
    fn only_submitted_dossiers_without_a_change_are_validated_in_bulk() {
        assert!(entry(1, "A", "a", DossierState::Submitted, 0).validatable_in_bulk());
        assert!(!entry(2, "B", "b", DossierState::Submitted, 1).validatable_in_bulk());
        assert!(!entry(3, "C", "c", DossierState::Started, 0).validatable_in_bulk());
        assert!(!entry(4, "D", "d", DossierState::Validated, 0).validatable_in_bulk());
    }

    #[test]
    fn pages_cover_every_entry_once_and_a_page_beyond_the_last_is_the_last() {
        let page = Page::of(105, 3, 50);
        assert_eq!((page.number, page.pages), (3, 3));
        assert_eq!(page.range(105), 100..105);
        assert_eq!(Page::of(105, 9, 50).number, 3);
        assert_eq!(Page::of(0, 1, 50).range(0), 0..0);
    }

    #[test]
    fn a_sort_by_changes_descending_puts_the_most_changed_first_then_names() {
        let list = vec![
            entry(1, "B", "b", DossierState::Submitted, 1),
            entry(2, "A", "a", DossierState::Submitted, 3),
            entry(3, "C", "c", DossierState::Submitted, 1),
        ];
        let sorted = select(list, &Filter::default(), SortKey::Changes, true);
        let ids: Vec<i64> = sorted.iter().map(|e| e.dossier_id).collect();
        assert_eq!(ids, [2, 3, 1]);
    }
}
