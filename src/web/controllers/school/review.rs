//! The dossier list's parameters (`GET /etablissements/{uai}/dossiers?…`):
//! filters, search, sort and page, read from and written back to the query
//! string, so that the list works as a plain GET form without JavaScript and
//! every view is a link. The bulk actions (`bulk.rs`) receive the same query
//! string in a hidden field, to act on "every dossier of this filter".

use crate::domain::dossier_state::DossierState;
use crate::dossier::review::{Filter, SortKey};

/// Rows per page unless the agent chooses.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The sizes the list offers (any size in `1..=MAX_PAGE_SIZE` is accepted).
pub const PAGE_SIZES: [usize; 4] = [20, 50, 100, 500];
pub const MAX_PAGE_SIZE: usize = 2000;

/// What the agent asked the list for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    pub page: usize,
    pub page_size: usize,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            filter: Filter::default(),
            sort: SortKey::default(),
            descending: false,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

fn yes(v: &str) -> bool {
    v == "oui"
}

impl ListParams {
    /// Reads a query string; unknown or empty values are ignored.
    pub fn parse(query: &str) -> Self {
        let mut p = Self::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key.as_ref() {
                "etat" => p.filter.state = value.parse::<DossierState>().ok(),
                "classe" => p.filter.division = Some(value.to_owned()),
                "mef" => p.filter.mef = Some(value.to_owned()),
                "modifie" => {
                    p.filter.changed = match value {
                        "oui" => Some(true),
                        "non" => Some(false),
                        _ => None,
                    }
                }
                "pieces" => p.filter.pieces_to_check = yes(value),
                "conflits" => p.filter.conflicts = yes(value),
                "attente" => p.filter.waiting_list = yes(value),
                "sans-ine" => p.filter.without_ine = yes(value),
                "jamais-venus" => p.filter.never_came = yes(value),
                "q" => p.filter.search = value.chars().take(100).collect(),
                "tri" => p.sort = SortKey::from_code(value).unwrap_or_default(),
                "ordre" => p.descending = value == "desc",
                "page" => p.page = value.parse().unwrap_or(1).max(1),
                "par_page" => {
                    p.page_size = value
                        .parse()
                        .unwrap_or(DEFAULT_PAGE_SIZE)
                        .clamp(1, MAX_PAGE_SIZE)
                }
                _ => {}
            }
        }
        p
    }

    /// The filter's part of the query string (no sort, no page).
    pub fn filter_query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let f = &self.filter;
        if let Some(s) = f.state {
            q.append_pair("etat", s.code());
        }
        if let Some(d) = &f.division {
            q.append_pair("classe", d);
        }
        if let Some(m) = &f.mef {
            q.append_pair("mef", m);
        }
        if let Some(c) = f.changed {
            q.append_pair("modifie", if c { "oui" } else { "non" });
        }
        for (on, key) in [
            (f.pieces_to_check, "pieces"),
            (f.conflicts, "conflits"),
            (f.waiting_list, "attente"),
            (f.without_ine, "sans-ine"),
            (f.never_came, "jamais-venus"),
        ] {
            if on {
                q.append_pair(key, "oui");
            }
        }
        if !f.search.is_empty() {
            q.append_pair("q", &f.search);
        }
        q.finish()
    }

    /// The query string of this view with another page and sort.
    pub fn query(&self, page: usize, sort: SortKey, descending: bool) -> String {
        let mut q = self.filter_query();
        let mut more = form_urlencoded::Serializer::new(String::new());
        if sort != SortKey::default() {
            more.append_pair("tri", sort.code());
        }
        if descending {
            more.append_pair("ordre", "desc");
        }
        if self.page_size != DEFAULT_PAGE_SIZE {
            more.append_pair("par_page", &self.page_size.to_string());
        }
        if page > 1 {
            more.append_pair("page", &page.to_string());
        }
        let more = more.finish();
        if !more.is_empty() {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&more);
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_read_from_its_query_string_writes_it_back() {
        let p = ListParams::parse(
            "etat=submitted&classe=4A&modifie=non&q=L%C3%A9a&tri=modifications&ordre=desc&par_page=20&page=3",
        );
        assert_eq!(p.filter.state, Some(DossierState::Submitted));
        assert_eq!(p.filter.changed, Some(false));
        assert_eq!(p.filter.search, "Léa");
        assert_eq!((p.page, p.page_size, p.descending), (3, 20, true));
        assert_eq!(ListParams::parse(&p.query(p.page, p.sort, p.descending)), p);
    }
}
