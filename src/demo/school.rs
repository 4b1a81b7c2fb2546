//! The demo collège's configuration: its campaign, MEF succession, options,
//! expected documents, exit rules and demi-pension tariffs.

use crate::db::Tx;
use crate::db::offer::{self, OptionRules};
use crate::db::setup::{self, CampaignText, DocumentSetup};
use crate::domain::piece_conditions::Conditions;
use crate::domain::questions::{self, AnswerType, NewQuestion, QuestionKind};
use crate::domain::schooling::GroupRule;
use crate::domain::tariff_grid::{self, Bracket};

/// (code, label, next-year index)
const MEFS: [(&str, &str); 4] = [
    ("10010012110", "6EME"),
    ("10110001110", "5EME"),
    ("10210001110", "4EME"),
    ("10310019110", "3EME"),
];
/// (code matière, label, explanation)
const OPTIONS: [(&str, &str, &str); 4] = [
    ("030201", "Anglais LV1", ""),
    (
        "030602",
        "Espagnol LV2",
        "Deuxième langue vivante, à partir de la 5e.",
    ),
    (
        "030102",
        "Allemand LV2",
        "Deuxième langue vivante, à partir de la 5e.",
    ),
    (
        "020700",
        "Latin",
        "Langues et cultures de l'Antiquité, 2 heures par semaine, à partir de la 5e.",
    ),
];

/// What the configuration seed created, for the families to use.
pub(super) struct Configured {
    pub(super) campaign_id: i64,
    pub(super) mef_ids: Vec<i64>,
    pub(super) option_ids: Vec<i64>,
}

/// The campaign of `year`, the MEFs, the options per MEF and the expected
/// documents.
pub(super) async fn seed_configuration(
    tx: &mut Tx,
    school_id: i64,
    year: i64,
) -> anyhow::Result<Configured> {
    // The demo is open today: it opened two weeks ago and closes in six
    // weeks (the family journey refuses a campaign outside its dates).
    let today = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let campaign = setup::current_or_new_campaign(tx, school_id, year).await?;
    let campaign_id = campaign.id;
    setup::update_campaign(
        &mut **tx,
        school_id,
        campaign_id,
        &CampaignText {
            opens_on: Some(day(today - chrono::Days::new(14))),
            closes_on: Some(day(today + chrono::Days::new(42))),
            returned_until: Some(day(today + chrono::Days::new(56))),
            welcome_text: "Bienvenue ! Vérifiez les informations de votre enfant et dites-nous **seulement ce qui a changé**.".into(),
            contact_email: "secretariat@demo.dossiersco.fr".into(),
            contact_phone: "0140000000".into(),
        },
    )
    .await?;
    setup::set_help_text(
        tx,
        campaign_id,
        "pieces",
        "Une photo nette prise avec votre téléphone suffit.",
    )
    .await?;
    setup::set_canteen_days(&mut **tx, school_id, campaign_id, "lun,mar,jeu,ven").await?;

    let (mef_ids, option_ids) = seed_mefs_and_options(tx, school_id).await?;
    seed_expected_documents(tx, school_id).await?;
    Ok(Configured {
        campaign_id,
        mef_ids,
        option_ids,
    })
}

/// The MEFs (each followed by the next) and the options offered per MEF.
async fn seed_mefs_and_options(
    tx: &mut Tx,
    school_id: i64,
) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let mut mef_ids = Vec::new();
    for (code, label) in MEFS {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mefs (school_id, code, label) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(school_id)
        .bind(code)
        .bind(label)
        .fetch_one(&mut **tx)
        .await?;
        mef_ids.push(id);
    }
    // Where each MEF goes, as the MEF screen's proposal sets it (6e → 5e →
    // 4e → 3e → end of collège).
    setup::apply_proposed_succession(tx, school_id).await?;
    let mut option_ids = Vec::new();
    for (code, label, explanation) in OPTIONS {
        option_ids.push(offer::ensure_option(tx, school_id, code, label, explanation).await?);
    }
    for (level, mef_id) in mef_ids.iter().enumerate() {
        // One LV2 at most, from 5e; Latin has 24 places for new requests.
        let lv2 = if level >= 1 {
            Some(
                offer::create_group(
                    tx,
                    *mef_id,
                    "Deuxième langue vivante (LV2)",
                    GroupRule::AtMostOne,
                )
                .await?,
            )
        } else {
            None
        };
        for (n, option_id) in option_ids.iter().enumerate() {
            // English everywhere (mandatory); LV2 and Latin from 5e, Latin can be dropped.
            let (modality, rules) = match n {
                0 => (
                    "O",
                    OptionRules {
                        mandatory: true,
                        ..OptionRules::default()
                    },
                ),
                1 | 2 if level >= 1 => (
                    "O",
                    OptionRules {
                        open_to_new: level == 1,
                        group_id: lv2,
                        ..OptionRules::default()
                    },
                ),
                3 if level >= 1 => (
                    "F",
                    OptionRules {
                        can_drop: true,
                        open_to_new: true,
                        capacity: Some(24),
                        ..OptionRules::default()
                    },
                ),
                _ => continue,
            };
            offer::offer_option(tx, *mef_id, *option_id, modality, rules).await?;
        }
    }
    Ok((mef_ids, option_ids))
}

async fn seed_expected_documents(tx: &mut Tx, school_id: i64) -> anyhow::Result<()> {
    for (label, explanation, only_demi_pension) in [
        (
            "Attestation d'assurance scolaire",
            "Responsabilité civile et individuelle accident, pour l'année qui vient. Vous pouvez aussi l'apporter à la rentrée.",
            false,
        ),
        (
            "Justificatif de domicile",
            "Seulement si vous avez déménagé depuis l'an dernier : facture ou quittance de moins de 3 mois.",
            false,
        ),
        (
            "Attestation de quotient familial (CAF)",
            "Pour bénéficier du tarif de demi-pension qui correspond à vos revenus.",
            true,
        ),
    ] {
        setup::create_document(
            tx,
            school_id,
            &DocumentSetup {
                label: label.into(),
                explanation: explanation.into(),
                conditions: Conditions {
                    only_demi_pension,
                    ..Conditions::default()
                },
                ..DocumentSetup::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// The provenances of SIECLE's Nomenclature export (bloc PROVENANCES:
/// CODE_PROVENANCE on one character, LIBELLE_COURT ≤ 10, LIBELLE_LONG ≤ 40,
/// spec_export §3.12), as an import of that export keeps them, so that the
/// desk's « Nouvel élève » form offers them. The specs and samples give the
/// block's shape and code 1 (the demo's pupils, who were here last year);
/// the words of the other codes are to be checked against a school's real
/// export (an import replaces them whole).
pub(super) const PROVENANCES: [(&str, &str, &str); 5] = [
    ("1", "MEME ETAB", "MEME ETABLISSEMENT"),
    ("2", "PUB ACAD", "ETABLISSEMENT PUBLIC DE L'ACADEMIE"),
    ("3", "PUB H ACAD", "ETABLISSEMENT PUBLIC HORS ACADEMIE"),
    ("4", "PRIVE", "ETABLISSEMENT PRIVE"),
    ("5", "ETRANGER", "ETABLISSEMENT A L'ETRANGER"),
];

/// The nomenclature's provenances, when the school has none.
async fn seed_provenances(tx: &mut Tx, school_id: i64) -> anyhow::Result<()> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM provenances WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut **tx)
        .await?;
    if existing > 0 {
        return Ok(());
    }
    for (code, short, long) in PROVENANCES {
        sqlx::query(
            "INSERT INTO provenances (school_id, code, short_label, long_label) VALUES ($1, $2, $3, $4)",
        )
        .bind(school_id)
        .bind(code)
        .bind(short)
        .bind(long)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The school's own questions of vie scolaire (two authorisations and the
/// FSE), through the same checks and functions as the school's screens,
/// when the school has none.
async fn seed_questions(tx: &mut Tx, school_id: i64) -> anyhow::Result<()> {
    let existing = offer::questions(&mut **tx, school_id).await?;
    if !existing.is_empty() {
        return Ok(());
    }
    for (kind, key, label, question, help, amount) in [
        (
            QuestionKind::Authorisation,
            "photo",
            "Photo de classe",
            "J'autorise la photo de classe de mon enfant",
            "",
            "",
        ),
        (
            QuestionKind::Authorisation,
            "sorties",
            "Sorties scolaires",
            "J'autorise mon enfant à participer aux sorties scolaires",
            "Sorties pendant le temps scolaire, accompagnées par les professeurs.",
            "",
        ),
        (
            QuestionKind::Fse,
            "fse",
            "Adhésion au foyer socio-éducatif",
            "J'adhère au foyer socio-éducatif (FSE)",
            "Le foyer finance les clubs, les sorties et les fêtes du collège.",
            "10",
        ),
    ] {
        let typed = NewQuestion {
            key: key.into(),
            label: label.into(),
            question: question.into(),
            help: help.into(),
            amount: amount.into(),
            ..NewQuestion::default()
        };
        let keys: Vec<String> = offer::questions(&mut **tx, school_id)
            .await?
            .into_iter()
            .map(|q| q.key)
            .collect();
        let checked = questions::check_new(kind, AnswerType::YesNo, &typed, &keys)
            .map_err(|e| anyhow::anyhow!("demo question {key}: {e:?}"))?;
        offer::create_question(tx, school_id, &checked).await?;
    }
    Ok(())
}

/// Régimes de sortie, demi-pension tariffs and the school's questions, when
/// the school has none.
pub(super) async fn seed_school_settings(tx: &mut Tx, school_id: i64) -> anyhow::Result<()> {
    seed_questions(tx, school_id).await?;
    seed_provenances(tx, school_id).await?;
    let rules: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exit_rules WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut **tx)
        .await?;
    if rules == 0 {
        for (label, description) in [
            (
                "Régime 1 : sortie en fin de journée",
                "L'élève reste au collège de la première à la dernière heure de cours de la journée, même en cas d'absence d'un professeur.",
            ),
            (
                "Régime 2 : sortie après le dernier cours",
                "L'élève peut quitter le collège après son dernier cours de la demi-journée.",
            ),
            (
                "Régime 3 : sortie libre",
                "L'élève peut quitter le collège dès qu'il n'a pas cours.",
            ),
        ] {
            setup::create_exit_rule(&mut **tx, school_id, label, description).await?;
        }
    }
    let tariffs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM canteen_tariffs WHERE school_id = $1")
            .bind(school_id)
            .fetch_one(&mut **tx)
            .await?;
    if tariffs == 0 {
        let grid = [
            ("Tarif 1", 0, Some(450_i64), 150_i64),
            ("Tarif 2", 451, Some(900), 300),
            ("Tarif 3", 901, None, 450),
        ]
        .into_iter()
        .map(|(label, min, max, price_cents)| Bracket {
            label: label.into(),
            min,
            max,
            price_cents,
        })
        .collect();
        let grid = tariff_grid::check(grid)?;
        setup::replace_tariff_grid(tx, school_id, &grid).await?;
    }
    Ok(())
}
