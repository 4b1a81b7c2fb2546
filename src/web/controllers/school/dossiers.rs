//! The school's view of the dossiers: `GET /etablissements/{uai}/dossiers`
//! (list, filter by state) and `GET …/dossiers/{dossier_id}` (what SIECLE
//! said, what each guardian changed or answered, pieces, history). Medical
//! information is shown to the nurse only.

use std::collections::HashSet;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use futures::TryStreamExt;
use serde::Deserialize;

use super::review::{ListParams, PAGE_SIZES};
use super::transitions::StaffActions;
use crate::app::AppState;
use crate::db::{
    SchoolScope, contacts, dashboard, decisions as db_decisions, medical, timeline as db_timeline,
    uploads,
};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::{AnyStaff, ManageSchool, ReadMedical};
use crate::domain::words;
use crate::dossier::decisions::{self, Decided};
use crate::dossier::diff::{self, GuardianView, SchoolView};
use crate::dossier::facts;
use crate::dossier::review::{self, Entry, Filter, Page, SortKey};
use crate::dossier::timeline;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// A row of the list.
pub struct Line {
    pub entry: Entry,
    pub state_label: String,
    pub state_badge: &'static str,
}

/// A column header: its label, the link that sorts on it, and its
/// `aria-sort` when the list is sorted on it.
pub struct Column {
    pub label: &'static str,
    pub href: String,
    pub aria_sort: &'static str,
}

#[derive(Template)]
#[template(path = "school/dossiers.html")]
pub struct DossiersPage {
    pub chrome: Chrome,
    pub uai: String,
    pub params: ListParams,
    /// The state filter's code, or empty.
    pub state: String,
    /// Queue links: (code, label, count, href).
    pub queues: Vec<(&'static str, String, usize, String)>,
    pub divisions: Vec<String>,
    pub mefs: Vec<String>,
    pub page_sizes: &'static [usize],
    /// The page size asked for is not one of `page_sizes`.
    pub custom_page_size: bool,
    pub columns: Vec<Column>,
    pub lines: Vec<Line>,
    /// Dossiers in the campaign, and kept by the filter.
    pub total: usize,
    pub filtered: usize,
    /// Of those kept, how many the bulk validation would validate.
    pub validatable: usize,
    pub page: Page,
    /// Pagination links: (page number, href), `None` for an ellipsis.
    pub pages: Vec<Option<(usize, String)>>,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The filter's query string, sent with the bulk actions.
    pub filter_query: String,
    /// The agent may decide (bulk validation, letters).
    pub can_manage: bool,
}

/// The DSFR badge class of a state (one vocabulary everywhere: see
/// docs/ARCHITECTURE.md and the back-office conventions).
pub fn state_badge(state: DossierState) -> &'static str {
    match state {
        DossierState::NotStarted => "",
        DossierState::Started => "fr-badge--info fr-badge--no-icon",
        DossierState::Submitted => "fr-badge--new fr-badge--no-icon",
        DossierState::Returned => "fr-badge--warning",
        DossierState::Validated => "fr-badge--success",
        DossierState::Leaving => "fr-badge--purple-glycine",
    }
}

/// The campaign's dossiers as the list reads them, in bulk.
pub async fn entries(state: &AppState, scope: SchoolScope) -> Result<Vec<Entry>, AppError> {
    let pool = state.db.pool();
    let mut entries = state.entries.of_school(pool, scope.id()).await?;
    let never_came: HashSet<i64> = dashboard::never_visited(pool, scope)
        .await?
        .into_iter()
        .collect();
    for entry in &mut entries {
        entry.never_came = never_came.contains(&entry.dossier_id);
    }
    Ok(entries)
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, AppError> {
    let params = ListParams::parse(query.as_deref().unwrap_or_default());
    let all = entries(&state, agent.scope()).await?;
    let base = format!("/etablissements/{}/dossiers", agent.school_uai);
    let href = |q: String| {
        if q.is_empty() {
            base.clone()
        } else {
            format!("{base}?{q}")
        }
    };
    let total = all.len();
    let mut divisions: Vec<String> = all.iter().map(|e| e.division.clone()).collect();
    divisions.sort();
    divisions.dedup();
    divisions.retain(|d| !d.is_empty());
    let mut mefs: Vec<String> = all.iter().map(|e| e.mef.clone()).collect();
    mefs.sort();
    mefs.dedup();
    mefs.retain(|m| !m.is_empty());
    // Queue links: the other filters kept, the state changed.
    let queue = |s: Option<DossierState>| {
        let mut p = params.clone();
        p.filter.state = s;
        href(p.query(1, p.sort, p.descending))
    };
    let others = Filter {
        state: None,
        ..params.filter.clone()
    };
    let mut queues = vec![("", "Tous".to_owned(), others.count(&all), queue(None))];
    queues.extend(DossierState::ALL.iter().map(|s| {
        (
            s.code(),
            review::state_word(*s),
            Filter {
                state: Some(*s),
                ..others.clone()
            }
            .count(&all),
            queue(Some(*s)),
        )
    }));
    let selected = review::select(all, &params.filter, params.sort, params.descending);
    let filtered = selected.len();
    let validatable = selected.iter().filter(|e| e.validatable_in_bulk()).count();
    let page = Page::of(filtered, params.page, params.page_size);
    let lines = selected[page.range(filtered)]
        .iter()
        .cloned()
        .map(|entry| Line {
            state_label: review::state_word(entry.state),
            state_badge: state_badge(entry.state),
            entry,
        })
        .collect();
    let columns = [
        (SortKey::Name, "Élève"),
        (SortKey::Division, "Classe"),
        (SortKey::State, "État"),
        (SortKey::Changes, "Modifications"),
        (SortKey::Submitted, "Envoyé le"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let sorted = params.sort == key;
        Column {
            label,
            href: href(params.query(1, key, sorted && !params.descending)),
            aria_sort: match (sorted, params.descending) {
                (false, _) => "",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
        }
    })
    .collect();
    let page_href = |n: usize| href(params.query(n, params.sort, params.descending));
    let pages = page_numbers(page.number, page.pages)
        .into_iter()
        .map(|n| n.map(|n| (n, page_href(n))))
        .collect();
    render(&DossiersPage {
        chrome,
        uai: agent.school_uai.clone(),
        state: params
            .filter
            .state
            .map(|s| s.code().to_owned())
            .unwrap_or_default(),
        filter_query: params.filter_query(),
        queues,
        divisions,
        mefs,
        page_sizes: &PAGE_SIZES,
        custom_page_size: !PAGE_SIZES.contains(&page.size),
        columns,
        lines,
        total,
        filtered,
        validatable,
        previous: (page.number > 1).then(|| page_href(page.number - 1)),
        next: (page.number < page.pages).then(|| page_href(page.number + 1)),
        page,
        pages,
        params,
        can_manage: agent.roles.allows::<ManageSchool>(),
    })
}

/// The page numbers shown: the first, the last, and two around the current
/// one; `None` where numbers are left out.
fn page_numbers(current: usize, last: usize) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    for n in 1..=last {
        if n == 1 || n == last || n.abs_diff(current) <= 2 {
            out.push(Some(n));
        } else if out.last() != Some(&None) {
            out.push(None);
        }
    }
    out
}

/// A guardian as the school reads them, with their medical information for
/// the nurse.
pub struct GuardianBlock {
    pub view: GuardianView,
    /// When they last signed in, in words (« jamais »).
    pub last_visit: String,
    pub medical: Option<(String, String)>,
    /// What was sent to this guardian, newest first, with its status.
    pub messages: Vec<MessageLine>,
}

/// One message to a guardian as the school reads it.
pub struct MessageLine {
    pub when: String,
    pub channel: &'static str,
    pub recipient: String,
    pub kind: &'static str,
    pub status: &'static str,
    /// Why it failed or bounced (empty otherwise).
    pub failure: String,
    pub failed: bool,
}

impl MessageLine {
    fn of(m: crate::db::messages::MessageRow) -> Self {
        let recipient = if m.channel == "sms" {
            crate::domain::words::phone(&m.recipient)
        } else {
            m.recipient
        };
        Self {
            when: crate::domain::words::paris_time(m.created_at),
            channel: crate::notify::Channel::label(&m.channel),
            recipient,
            kind: crate::notify::Kind::label(&m.kind),
            status: crate::notify::status_label(&m.status),
            failed: matches!(m.status.as_str(), "failed" | "bounced"),
            failure: m.failure,
        }
    }
}

/// A piece as agents see it: photos (JPEG, PNG) are previewed in the page.
pub struct UploadView(pub uploads::SchoolUpload);

impl std::ops::Deref for UploadView {
    type Target = uploads::SchoolUpload;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl UploadView {
    /// A photo, shown in the page.
    pub fn is_image(&self) -> bool {
        previewable(&self.content_type) && !self.is_pdf()
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "accepted" => "acceptée",
            "refused" => "refusée",
            _ => "à vérifier",
        }
    }

    /// A HEIC photo the server could not convert (built without the `heic`
    /// feature): some browsers cannot show it.
    pub fn is_heic(&self) -> bool {
        self.content_type == "image/heic"
    }

    /// A PDF, previewed in a frame of the page.
    pub fn is_pdf(&self) -> bool {
        self.content_type == PDF
    }
}

/// Types shown inline: images every browser decodes, and PDFs (in the
/// browser's viewer, sandboxed: see [`show_upload`]); never HTML.
fn previewable(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png" | PDF)
}

const PDF: &str = "application/pdf";

#[derive(Template)]
#[template(path = "school/dossier.html")]
pub struct DossierPage {
    pub chrome: Chrome,
    pub uai: String,
    pub dossier_id: i64,
    pub pupil_name: String,
    pub state_label: &'static str,
    /// What changed, in words (see `dossier::diff`).
    pub diff: SchoolView,
    pub guardians: Vec<GuardianBlock>,
    pub uploads: Vec<UploadView>,
    pub contacts: Vec<(String, String, String)>,
    /// Every event of the dossier, newest first (`dossier::timeline`).
    pub timeline: Vec<timeline::Event>,
    pub can_read_medical: bool,
    pub can_manage: bool,
    /// The decisions offered (after the content).
    pub actions: StaffActions,
    /// Each change with the school's decision on it.
    pub decided: Vec<Decided>,
    pub undecided: usize,
    /// The agent may decide on the changes now (the dossier is to check).
    pub can_decide: bool,
    /// The agent may fill the dossier with the family at the desk (assisted
    /// mode: the family may still edit it).
    pub can_assist: bool,
    /// « Formation l'an prochain » (`track`).
    pub next_year: super::track::NextYearView,
    /// « Provenance » of a new pupil (`provenance`).
    pub provenance: super::provenance::ProvenanceView,
}

pub(super) async fn dossier_page<P>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    dossier_id: i64,
) -> Result<DossierPage, AppError> {
    let pool = state.db.pool();
    let (listed, words) = facts::of_dossier(pool, agent.scope().id(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut diff = diff::for_school(&listed.facts, &words);
    let decided = decisions::pair(
        diff.decidable(),
        &db_decisions::list_in_school(pool, agent.scope(), dossier_id).await?,
    );
    let undecided = decisions::undecided(&decided);
    let can_read_medical = agent.roles.allows::<ReadMedical>();
    let mut sent = crate::db::messages::for_dossier_family(pool, agent.scope(), dossier_id).await?;
    let mut guardians = Vec::new();
    for view in std::mem::take(&mut diff.guardians) {
        let messages = sent
            .extract_if(.., |m| m.guardian_id == view.id)
            .map(MessageLine::of)
            .collect();
        let medical = if can_read_medical {
            medical::find_in_school(pool, agent.scope(), dossier_id, view.id)
                .await?
                .map(|m| (medical_mode_label(&m.mode).to_owned(), m.note))
        } else {
            None
        };
        let last_visit = dashboard::last_sign_in(pool, agent.scope(), view.id)
            .await?
            .map_or_else(|| "jamais".to_owned(), words::paris_time);
        guardians.push(GuardianBlock {
            view,
            medical,
            messages,
            last_visit,
        });
    }
    let uploads = uploads::list_in_school(pool, agent.scope(), dossier_id)
        .await?
        .into_iter()
        .map(UploadView)
        .collect();
    let contacts = contacts::list_in_school(pool, agent.scope(), dossier_id)
        .await?
        .into_iter()
        .map(|c| (c.name, c.relationship, c.phone))
        .collect();
    let timeline = timeline::assemble(
        &db_timeline::of_dossier(pool, agent.scope(), dossier_id).await?,
        &words.questions,
        can_read_medical,
    );
    let next_year = super::track::view(
        state,
        agent.scope(),
        dossier_id,
        listed.row.state,
        agent.roles.allows::<ManageSchool>(),
    )
    .await?;
    let provenance = super::provenance::view(
        state,
        agent.scope(),
        dossier_id,
        agent.roles.allows::<ManageSchool>(),
    )
    .await?;
    Ok(DossierPage {
        chrome,
        uai: agent.school_uai.clone(),
        dossier_id,
        next_year,
        provenance,
        pupil_name: format!("{} {}", listed.row.first_name, listed.row.last_name),
        state_label: listed.row.state.label(),
        diff,
        guardians,
        uploads,
        contacts,
        timeline,
        can_read_medical,
        can_manage: agent.roles.allows::<ManageSchool>(),
        actions: StaffActions::new(listed.row.state, agent.roles.allows::<ManageSchool>()),
        can_decide: agent.roles.allows::<ManageSchool>()
            && listed.row.state == DossierState::Submitted,
        can_assist: agent.roles.allows::<ManageSchool>() && listed.row.state.editable_by_family(),
        decided,
        undecided,
    })
}

/// How the family chose to give medical information, in words.
fn medical_mode_label(mode: &str) -> &'static str {
    match mode {
        "online" => "saisie en ligne",
        "sealed" => "remise sous pli fermé à l'infirmerie",
        _ => "rien à signaler",
    }
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
    Path((_uai, dossier_id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    render(&dossier_page(&state, &agent, chrome, dossier_id).await?)
}

#[derive(Deserialize)]
pub struct UploadQuery {
    /// `?apercu=1`: shown in the page (photos, PDFs), else downloaded.
    apercu: Option<String>,
}

/// `GET …/dossiers/{dossier_id}/pieces/{upload_id}`: a piece, streamed from
/// the store, as a download; photos and PDFs may be shown inline
/// (`?apercu=1`). Every piece is served with its checked type (set from its
/// content at upload), `nosniff` and `Content-Security-Policy: sandbox`: even
/// a file a browser would render otherwise runs in an opaque origin, never
/// as a page of ours. An inline PDF may be framed by our own pages only.
pub async fn show_upload(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    Path((_uai, dossier_id, upload_id)): Path<(String, i64, i64)>,
    Query(query): Query<UploadQuery>,
) -> Result<Response, AppError> {
    let uploads::StoredUpload {
        storage_key: key,
        original_name: name,
        content_type,
    } = uploads::find_in_school(state.db.pool(), agent.scope(), dossier_id, upload_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (size, stream) = state.documents.get_stream(&key).await?;
    let mut safe_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // A converted photo is a JPEG whatever its original name said.
    if content_type == "image/jpeg" {
        let lower = safe_name.to_ascii_lowercase();
        if !lower.ends_with(".jpg") && !lower.ends_with(".jpeg") {
            let stem = safe_name
                .rsplit_once('.')
                .map_or(safe_name.as_str(), |(stem, _)| stem);
            safe_name = format!("{stem}.jpg");
        }
    }
    let inline = query.apercu.is_some() && previewable(&content_type);
    let disposition = if inline { "inline" } else { "attachment" };
    // Chrome's PDF viewer does not start in a sandboxed frame (`<iframe
    // sandbox>`), so the sandbox is the response's own; it also ignores the
    // response's other directives, which keep the rest locked.
    let (policy, framing) = if inline && content_type == PDF {
        ("sandbox; frame-ancestors 'self'", "SAMEORIGIN")
    } else {
        (
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            "DENY",
        )
    };
    agent
        .audit(
            state.db.pool(),
            "upload_downloaded",
            &format!("upload:{upload_id}"),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{safe_name}\""),
            ),
            (header::CONTENT_SECURITY_POLICY, policy.to_owned()),
            (header::X_FRAME_OPTIONS, framing.to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        Body::from_stream(stream.map_err(std::io::Error::other)),
    )
        .into_response())
}
