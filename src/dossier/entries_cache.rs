//! The school's list entries ([`Entry`]), kept in memory between requests
//! and recomputed only where the data changed.
//!
//! Reading every dossier's facts costs about 100 ms for 1,000 pupils
//! (`docs/BENCHMARKS.md`); the list, the dashboard and the bulk actions
//! need them on each request. Each entry is kept with the revision of its
//! pupil it was computed at; the database bumps the revisions on every write
//! to what the facts read (`db::revisions`, by triggers). A request reads
//! the revisions first (one query), then recomputes the entries whose
//! revision moved (a dossier at a time, or the whole school when many did
//! or the school's own revision moved). Reading the revisions before the
//! facts makes a race harmless: a write landing in between gives an entry
//! newer than its revision, recomputed once more on the next request, never
//! an entry older than its revision.
//!
//! Each process keeps its own cache: several instances behind a load
//! balancer each check the revisions in the shared database.

use std::collections::HashMap;
use std::sync::Mutex;

use sqlx::AnyPool;

use super::facts;
use super::review::Entry;
use crate::db::revisions;

/// Above this many dossiers to recompute, one reading of the whole school
/// (a fixed number of queries) is cheaper than a reading per dossier.
const ONE_BY_ONE_AT_MOST: usize = 24;

/// Schools kept at most; the least recently used is dropped first.
const SCHOOLS_KEPT: usize = 64;

#[derive(Default)]
struct School {
    revision: i64,
    /// By dossier id: (its pupil's revision, the entry).
    entries: HashMap<i64, (i64, Entry)>,
    used: u64,
}

/// See the module's documentation.
pub struct EntriesCache {
    /// Recompute everything on each request too, and panic on any
    /// difference (the tests' settings: `check_list_cache`).
    check: bool,
    schools: Mutex<(u64, HashMap<i64, School>)>,
}

impl EntriesCache {
    pub fn new(check: bool) -> Self {
        Self {
            check,
            schools: Mutex::new((0, HashMap::new())),
        }
    }

    /// The entries of school `school_id`'s current campaign, by pupil name
    /// (as `facts::of_school` orders them), `never_came` unset.
    pub async fn of_school(&self, pool: &AnyPool, school_id: i64) -> sqlx::Result<Vec<Entry>> {
        let revisions = revisions::of_school(pool, school_id).await?;
        let (mut known, stale) = self.split(school_id, &revisions);
        if stale.len() > ONE_BY_ONE_AT_MOST {
            let (listed, _) = facts::of_school(pool, school_id).await?;
            known = listed
                .iter()
                .map(|l| (l.row.dossier_id, Entry::of(l)))
                .collect();
        } else {
            for &id in &stale {
                if let Some((listed, _)) = facts::of_dossier(pool, school_id, id).await? {
                    known.insert(id, Entry::of(&listed));
                }
            }
        }
        self.keep(school_id, &revisions, &known);
        let entries: Vec<Entry> = revisions
            .dossiers
            .iter()
            .filter_map(|(id, _)| known.remove(id))
            .collect();
        if self.check {
            let (listed, _) = facts::of_school(pool, school_id).await?;
            let fresh: Vec<Entry> = listed.iter().map(Entry::of).collect();
            if fresh != entries {
                let differ: Vec<i64> = fresh
                    .iter()
                    .filter(|f| !entries.contains(f))
                    .map(|f| f.dossier_id)
                    .collect();
                panic!(
                    "the list's cache of school {school_id} is stale for dossiers {differ:?} \
                     (a write the revisions' triggers do not see? see db::revisions::SOURCES)"
                );
            }
        }
        Ok(entries)
    }

    /// The entries still valid at `revisions`, and the dossiers to compute.
    fn split(
        &self,
        school_id: i64,
        revisions: &revisions::Revisions,
    ) -> (HashMap<i64, Entry>, Vec<i64>) {
        let mut guard = self.schools.lock().expect("entries cache");
        let (tick, schools) = &mut *guard;
        *tick += 1;
        let mut known = HashMap::new();
        let mut stale = Vec::new();
        match schools.get_mut(&school_id) {
            Some(school) if school.revision == revisions.school => {
                school.used = *tick;
                for &(id, revision) in &revisions.dossiers {
                    match school.entries.get(&id) {
                        Some((at, entry)) if *at == revision => {
                            known.insert(id, entry.clone());
                        }
                        _ => stale.push(id),
                    }
                }
            }
            _ => stale = revisions.dossiers.iter().map(|(id, _)| *id).collect(),
        }
        (known, stale)
    }

    /// Keeps `entries`, computed at `revisions`, for the next requests.
    fn keep(
        &self,
        school_id: i64,
        revisions: &revisions::Revisions,
        entries: &HashMap<i64, Entry>,
    ) {
        let mut guard = self.schools.lock().expect("entries cache");
        let (tick, schools) = &mut *guard;
        *tick += 1;
        if !schools.contains_key(&school_id)
            && schools.len() >= SCHOOLS_KEPT
            && let Some(oldest) = schools
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(id, _)| *id)
        {
            schools.remove(&oldest);
        }
        let school = schools.entry(school_id).or_default();
        school.used = *tick;
        school.revision = revisions.school;
        school.entries = revisions
            .dossiers
            .iter()
            .filter_map(|&(id, revision)| entries.get(&id).map(|e| (id, (revision, e.clone()))))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::revisions::Revisions;
    use crate::domain::dossier_state::DossierState;

    fn entry(dossier_id: i64) -> Entry {
        Entry {
            dossier_id,
            last_name: format!("NOM{dossier_id}"),
            first_name: "Prénom".into(),
            ine: String::new(),
            division: "4A".into(),
            mef: String::new(),
            state: DossierState::Submitted,
            changes: 0,
            conflicts: false,
            pieces_to_check: 0,
            waiting_list: false,
            submitted_at: None,
            never_came: false,
        }
    }

    fn kept(cache: &EntriesCache, school: i64, revisions: &Revisions) {
        let entries = revisions
            .dossiers
            .iter()
            .map(|(id, _)| (*id, entry(*id)))
            .collect();
        cache.keep(school, revisions, &entries);
    }

    #[test]
    fn only_the_dossiers_whose_revision_moved_are_recomputed() {
        let cache = EntriesCache::new(false);
        let at = Revisions {
            school: 3,
            dossiers: vec![(1, 0), (2, 5), (3, 1)],
        };
        assert_eq!(cache.split(7, &at).1, vec![1, 2, 3], "nothing kept yet");
        kept(&cache, 7, &at);
        let (known, stale) = cache.split(7, &at);
        assert_eq!((known.len(), stale), (3, vec![]));

        // Dossier 2's pupil written; dossier 4 new; dossier 3 gone.
        let later = Revisions {
            school: 3,
            dossiers: vec![(1, 0), (2, 6), (4, 0)],
        };
        let (known, stale) = cache.split(7, &later);
        assert_eq!(stale, vec![2, 4]);
        assert_eq!(known.keys().copied().collect::<Vec<_>>(), vec![1]);

        // The school's set-up written: all of them.
        let setup = Revisions {
            school: 4,
            ..at.clone()
        };
        assert_eq!(cache.split(7, &setup).1, vec![1, 2, 3]);
        // Another school has nothing of this one's.
        assert_eq!(cache.split(8, &at).1, vec![1, 2, 3]);
    }

    #[test]
    fn beyond_its_size_the_least_recently_used_school_is_dropped() {
        let cache = EntriesCache::new(false);
        let at = Revisions {
            school: 0,
            dossiers: vec![(1, 0)],
        };
        for school in 0..SCHOOLS_KEPT as i64 {
            kept(&cache, school, &at);
        }
        // School 0 used again: school 1 is now the least recently used.
        assert!(cache.split(0, &at).1.is_empty());
        kept(&cache, 1000, &at);
        assert!(cache.split(0, &at).1.is_empty(), "kept");
        assert_eq!(cache.split(1, &at).1, vec![1], "dropped");
        assert!(cache.split(1000, &at).1.is_empty());
    }
}
