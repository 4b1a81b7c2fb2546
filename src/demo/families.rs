//! The demo families: guardians, pupils (with their options and dossiers)
//! and the links between them, and the featured families' access codes.

use super::french_date;
use super::names::{LAST_NAMES, Rng, STREETS, rng_first};
use super::school::Configured;
use crate::app::AppState;
use crate::db::{Tx, now_ms};
use crate::domain::access_code;

/// The featured families first, then ordinary ones up to 240 people, or
/// until there are `pupils` pupils.
pub(super) async fn seed_families(
    tx: &mut Tx,
    school_id: i64,
    year: i64,
    cfg: &Configured,
    pupils: Option<i64>,
) -> anyhow::Result<()> {
    let mut rng = Rng(2027);
    let mut seq = 0_i64;
    seed_featured_families(tx, school_id, year, cfg, &mut rng, &mut seq).await?;
    seed_ordinary_families(tx, school_id, year, cfg, &mut rng, &mut seq, pupils).await
}

/// The Martin family (two children) and a separated family (Nguyen, Dubois).
async fn seed_featured_families(
    tx: &mut Tx,
    school_id: i64,
    year: i64,
    cfg: &Configured,
    rng: &mut Rng,
    seq: &mut i64,
) -> anyhow::Result<()> {
    let martin = add_guardian(tx, school_id, rng, seq, "MME", "Martin", "Sandrine", None).await?;
    let martin2 = add_guardian(
        tx,
        school_id,
        rng,
        seq,
        "M.",
        "Martin",
        "Olivier",
        Some(martin.1.clone()),
    )
    .await?;
    for (first, sex, level, birth) in [("Léa", "F", 1, year - 13), ("Hugo", "M", 3, year - 15)] {
        let pupil = add_pupil(
            tx,
            school_id,
            cfg.campaign_id,
            &cfg.mef_ids,
            &cfg.option_ids,
            seq,
            "Martin",
            first,
            sex,
            level,
            birth,
        )
        .await?;
        link(tx, pupil, martin.0, 1, "10").await?;
        link(tx, pupil, martin2.0, 2, "20").await?;
    }
    let mother = add_guardian(tx, school_id, rng, seq, "MME", "Nguyen", "Thi Lan", None).await?;
    let father = add_guardian(tx, school_id, rng, seq, "M.", "Dubois", "Marc", None).await?;
    let ines = add_pupil(
        tx,
        school_id,
        cfg.campaign_id,
        &cfg.mef_ids,
        &cfg.option_ids,
        seq,
        "Dubois",
        "Inès",
        "F",
        2,
        year - 14,
    )
    .await?;
    link(tx, ines, mother.0, 1, "10").await?;
    link(tx, ines, father.0, 2, "20").await?;

    Ok(())
}

/// Random families: one or two guardians, one or two children.
async fn seed_ordinary_families(
    tx: &mut Tx,
    school_id: i64,
    year: i64,
    cfg: &Configured,
    rng: &mut Rng,
    seq: &mut i64,
    pupils: Option<i64>,
) -> anyhow::Result<()> {
    // The featured families have three children.
    let mut children_seeded = 3_i64;
    while pupils.map_or(*seq < 240, |p| children_seeded < p) {
        let last = rng.pick(LAST_NAMES).to_string();
        let mother_name = rng_first(rng, "F");
        let g1 = add_guardian(tx, school_id, rng, seq, "MME", &last, mother_name, None).await?;
        let with_second = rng.below(10) < 8;
        let g2 = if with_second {
            let same_address = rng.below(10) < 8;
            let address = same_address.then(|| g1.1.clone());
            let father_name = rng_first(rng, "M");
            Some(add_guardian(tx, school_id, rng, seq, "M.", &last, father_name, address).await?)
        } else {
            None
        };
        let children = if rng.below(10) < 2 { 2 } else { 1 };
        for _ in 0..children {
            let sex = if rng.below(2) == 0 { "F" } else { "M" };
            let first = rng_first(rng, sex).to_string();
            let level = rng.below(4) as usize;
            let birth = year - 12 - level as i64;
            let pupil = add_pupil(
                tx,
                school_id,
                cfg.campaign_id,
                &cfg.mef_ids,
                &cfg.option_ids,
                seq,
                &last,
                &first,
                sex,
                level,
                birth,
            )
            .await?;
            link(tx, pupil, g1.0, 1, "10").await?;
            if let Some(g2) = &g2 {
                link(tx, pupil, g2.0, 2, "20").await?;
            }
            children_seeded += 1;
        }
    }
    Ok(())
}

/// (id, address lines, postcode, city) of a new guardian.
#[expect(
    clippy::too_many_arguments,
    reason = "seed helpers take the generated fields one by one"
)]
async fn add_guardian(
    tx: &mut Tx,
    school_id: i64,
    rng: &mut Rng,
    seq: &mut i64,
    civility: &str,
    last: &str,
    first: &str,
    address: Option<(String, String, String)>,
) -> anyhow::Result<(i64, (String, String, String))> {
    *seq += 1;
    let address = address.unwrap_or_else(|| {
        (
            format!("{} {}", 1 + rng.below(120), rng.pick(STREETS)),
            format!("750{:02}", 1 + rng.below(20)),
            "Paris".into(),
        )
    });
    let login = format!("{}.{}", first, last)
        .to_lowercase()
        .replace([' ', '\''], "-");
    let ascii: String = login
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'ï' | 'î' => 'i',
            'ô' => 'o',
            'ù' | 'û' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect();
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO guardians (school_id, siecle_personne_id, civility, civility_code, last_name, first_name, email,
             phone_mobile, address_lines, postcode, city, created_at, updated_at)
         VALUES ($1, $2, $3, CASE WHEN $3 = 'MME' THEN '2' ELSE '1' END, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         RETURNING id",
    )
    .bind(school_id)
    .bind(format!("{}", 900_000 + *seq))
    .bind(civility)
    .bind(last.to_uppercase())
    .bind(first)
    .bind(format!("{ascii}@exemple.fr"))
    .bind(format!("06{:08}", rng.below(100_000_000)))
    .bind(&address.0)
    .bind(&address.1)
    .bind(&address.2)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, address))
}

#[expect(
    clippy::too_many_arguments,
    reason = "seed helpers take the generated fields one by one"
)]
async fn add_pupil(
    tx: &mut Tx,
    school_id: i64,
    campaign_id: i64,
    mef_ids: &[i64],
    option_ids: &[i64],
    seq: &mut i64,
    last: &str,
    first: &str,
    sex: &str,
    level: usize,
    birth_year: i64,
) -> anyhow::Result<i64> {
    *seq += 1;
    let now = now_ms();
    let month = 1 + (*seq % 12);
    let day = 1 + (*seq * 7 % 28);
    let division = format!("{}{}", 6 - level, ["A", "B", "C"][(*seq % 3) as usize]);
    let pupil_id: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (school_id, siecle_eleve_id, ine, last_name, first_name, sex, birth_date, birth_city,
             mef_id, division, regime_code, created_at, updated_at, birth_commune_insee,
             siecle_mef_code, status_code, provenance_code, repeating, school_transport, last_year_uai)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'Paris', $8, $9, $11, $10, $10, '75056',
             (SELECT code FROM mefs WHERE id = $8), 'ST', '1', FALSE, FALSE,
             (SELECT uai FROM schools WHERE id = $1)) RETURNING id",
    )
    .bind(school_id)
    .bind(format!("{}", 100_000 + *seq))
    .bind(format!("{:09}{}", 70_000_000 + *seq, ["AB", "CD", "EF", "GH"][(*seq % 4) as usize]))
    .bind(last.to_uppercase())
    .bind(first)
    .bind(sex)
    .bind(format!("{birth_year}-{month:02}-{day:02}"))
    .bind(mef_ids[level])
    .bind(division)
    .bind(now)
    // SIECLE's régime: most pupils in demi-pension (2), one in five externe (0).
    .bind(if *seq % 5 == 1 { "0" } else { "2" })
    .fetch_one(&mut **tx)
    .await?;
    let mut options = vec![option_ids[0]];
    if level >= 1 {
        options.push(option_ids[1 + (*seq % 2) as usize]);
        if *seq % 5 == 0 {
            options.push(option_ids[3]);
        }
    }
    for option in options {
        sqlx::query("INSERT INTO pupil_options (pupil_id, option_id) VALUES ($1, $2)")
            .bind(pupil_id)
            .bind(option)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("INSERT INTO dossiers (campaign_id, pupil_id, created_at, updated_at) VALUES ($1, $2, $3, $3)")
        .bind(campaign_id)
        .bind(pupil_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(pupil_id)
}

async fn link(
    tx: &mut Tx,
    pupil: i64,
    guardian: i64,
    rank: i64,
    relationship: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code, legal_responsibility, pays_fees,
             from_siecle, siecle_relationship_code, lives_with_pupil, siecle_lives_with_pupil,
             siecle_pays_fees, siecle_receives_aid, siecle_contact_first)
         VALUES ($1, $2, $3, $4, 1, $5, TRUE, $4, TRUE, TRUE, $5, FALSE, $5)",
    )
    .bind(pupil)
    .bind(guardian)
    .bind(rank)
    .bind(relationship)
    .bind(rank == 1)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives the featured demo guardians stable codes derived from the secret key
/// (so they stay valid across runs) and describes them.
pub(super) async fn issue_demo_codes(
    state: &AppState,
    tx: &mut Tx,
    school_id: i64,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let featured: [(&str, &str, &str); 4] = [
        ("Famille avec deux enfants (mère)", "MARTIN", "Sandrine"),
        ("Famille séparée : la mère", "NGUYEN", "Thi Lan"),
        ("Famille séparée : le père", "DUBOIS", "Marc"),
        ("Famille avec deux enfants (père)", "MARTIN", "Olivier"),
    ];
    let mut out = Vec::new();
    for (who, last, first) in featured {
        let guardian: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM guardians WHERE school_id = $1 AND last_name = $2 AND first_name = $3",
        )
        .bind(school_id)
        .bind(last)
        .bind(first)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(guardian) = guardian else { continue };
        let signature = state
            .keys
            .sign("demo-access-code", guardian.to_string().as_bytes());
        let code = access_code::from_bytes(signature.as_bytes());
        sqlx::query(
            "UPDATE guardians SET access_code_hash = $2, access_code_issued_at = $3 WHERE id = $1",
        )
        .bind(guardian)
        .bind(access_code::hash(&code))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        let children: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.first_name, p.birth_date FROM pupils p JOIN guardianships g ON g.pupil_id = p.id
             WHERE g.guardian_id = $1 ORDER BY p.birth_date",
        )
        .bind(guardian)
        .fetch_all(&mut **tx)
        .await?;
        let described = children
            .iter()
            .map(|(name, birth)| format!("{name}, né·e le {}", french_date(birth)))
            .collect::<Vec<_>>()
            .join(" ; ");
        out.push((format!("{who} — {first} {last}"), code, described));
    }
    Ok(out)
}

/// Last year's campaign, as a school in its second year on DossierSCO has
/// it: every pupil's dossier validated, sent by their first guardian with
/// their answers (exit rule, photo, outings, FSE). This year's questions
/// start from these answers.
pub(super) async fn seed_last_year(tx: &mut Tx, school_id: i64, year: i64) -> anyhow::Result<()> {
    let now = now_ms();
    let campaign_id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, opens_on, closes_on, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(school_id)
    .bind(year - 1)
    .bind(format!("{}-05-02", year - 1))
    .bind(format!("{}-06-15", year - 1))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let rules: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM exit_rules WHERE school_id = $1 ORDER BY position, id")
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await?;
    let pupils: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT p.id, l.guardian_id FROM pupils p JOIN guardianships l ON l.pupil_id = p.id AND l.rank = 1
         WHERE p.school_id = $1 ORDER BY p.id",
    )
    .bind(school_id)
    .fetch_all(&mut **tx)
    .await?;
    for (n, (pupil_id, guardian_id)) in pupils.into_iter().enumerate() {
        let dossier_id: i64 = sqlx::query_scalar(
            "INSERT INTO dossiers (campaign_id, pupil_id, state, submitted_by, submitted_at, created_at, updated_at)
             VALUES ($1, $2, 'validated', $3, $4, $4, $4) RETURNING id",
        )
        .bind(campaign_id)
        .bind(pupil_id)
        .bind(guardian_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        let rule = rules.get(n % 3 % rules.len().max(1)).map(i64::to_string);
        let answers = [
            ("exit_rule", rule.unwrap_or_default()),
            ("photo", if n % 7 == 3 { "non" } else { "oui" }.to_owned()),
            ("sorties", "oui".to_owned()),
            ("fse", if n % 2 == 0 { "oui" } else { "non" }.to_owned()),
        ];
        for (question, answer) in answers {
            if answer.is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT INTO dossier_answers (dossier_id, guardian_id, question, answer, answered_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(dossier_id)
            .bind(guardian_id)
            .bind(question)
            .bind(answer)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
