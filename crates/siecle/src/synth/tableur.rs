//! Writes a synthetic school as the 136-column spreadsheet export (XLSX), with the
//! real header names, one row per structure of each pupil (multi-row pupils), the two
//! guardians side by side, and the mix of cell types real files have: MEF and régime
//! codes as numbers, birth dates as date cells or text, phones as spaced text.
//! Behind the `xlsx` feature (rust_xlsxwriter).

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use crate::codes::{Civilite, ModaliteElection, Parente, Sexe};
use crate::synth::SynthSchool;
use crate::types::Adresse;

fn headers() -> Vec<String> {
    let mut h: Vec<String> = [
        "Sexe",
        "Pays Nat.",
        "Elève No Etab",
        "Num. Elève Etab",
        "Nom de famille",
        "Nom d'usage",
        "Prénom",
        "Prénom 2",
        "Prénom 3",
        "Date Naissance",
        "Doublement",
        "Id National",
        "Date Entrée",
        "Date Sortie",
        "Adhésion Transport",
        "Date Modification",
        "Autorisation Abs. Perm.",
        "Autorisation Abs. Temp.",
        "Présence Doss. Médic.",
        "Présence Doss. Scol.",
        "Ville Naiss. Etrangère",
        "Commune Naiss.",
        "Pays Naiss.",
        "Code Régime",
        "Lib. Régime",
        "Motif Sortie",
        "Code Circuit",
        "Lib. Circuit",
        "Code Bourse 1",
        "Lib. Bourse 1",
        "Code Bourse 2",
        "Lib. Bourse 2",
        "Code MEF",
        "Lib. MEF",
        "Code Structure",
        "Type Structure",
        "Lib. Structure",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for k in 1..=12 {
        h.push(format!("Clé Gestion Mat. Enseignée {k}"));
        h.push(format!("Lib. Mat. Enseignée {k}"));
        h.push(format!("Code Modalité Elect. {k}"));
        h.push(format!("Lib. Modalité Elect. {k}"));
    }
    for s in [
        "Tél. Personnel",
        "Tél. Professionnel",
        "Tél. Portable",
        "Email",
        "Ligne Adresse 1",
        "Ligne Adresse 2",
        "Ligne Adresse 3",
        "Ligne Adresse 4",
        "Lib. Postal",
        "Code Postal",
        "Département",
        "Commune Etrangère",
        "Pays",
    ] {
        h.push(s.to_string());
    }
    for r in 1..=2 {
        for s in [
            "Civilité",
            "Nom de famille",
            "Nom d'usage",
            "Prénom",
            "Tél. Personnel",
            "Lien Parenté",
            "Tél. Portable",
            "Tél. Professionnel",
            "Email",
            "Communication Adresse postale et courriel",
            "Ligne Adresse 1",
            "Ligne Adresse 2",
            "Ligne Adresse 3",
            "Ligne Adresse 4",
            "Lib. Postal",
            "Code Postal",
            "Code Département",
            "Commune Etrangère",
            "Pays",
        ] {
            h.push(format!("{s} Repr. Lég. {r}"));
        }
    }
    h
}

fn spaced_phone(p: &str) -> String {
    let national = p
        .strip_prefix("+33")
        .map(|r| format!("0{r}"))
        .unwrap_or_else(|| p.to_string());
    national
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parente_label(p: &Parente) -> &'static str {
    match p {
        Parente::Mere => "MERE",
        Parente::Pere => "PERE",
        Parente::Tuteur => "TUTEUR",
        Parente::AideSocialeEnfance => "AIDE SOCIALE A L'ENFANCE",
        Parente::Ascendant => "ASCENDANT",
        _ => "AUTRE LIEN",
    }
}

impl SynthSchool {
    /// Writes the spreadsheet export of this school as XLSX bytes.
    pub fn write_tableur_xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let headers = headers();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0) as u16;
        let mut wb = Workbook::new();
        let date_format = Format::new().set_num_format("dd/mm/yyyy");
        let ws = wb.add_worksheet().set_name("Elèves Complète")?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, h)?;
        }
        let adresse = |id: Option<u64>, list: &[Adresse]| {
            id.and_then(|id| list.iter().find(|a| a.adresse_id == id))
                .cloned()
        };
        let mut row = 1u32;
        for (i, e) in self.eleves.iter().enumerate() {
            let options = self.options.iter().find(|o| o.eleve_id == e.eleve_id);
            let structures = self.structures.iter().find(|s| s.eleve_id == e.eleve_id);
            let mut links: Vec<_> = self
                .responsables
                .iter()
                .filter(|r| {
                    r.eleve_id == e.eleve_id
                        && r.niveau_responsabilite
                            .as_ref()
                            .is_some_and(|n| n.code() == "1")
                })
                .collect();
            links.truncate(2);
            for s in structures.map(|s| s.structures.as_slice()).unwrap_or(&[]) {
                let w = |c: &str,
                         v: Option<&str>,
                         ws: &mut rust_xlsxwriter::Worksheet|
                 -> Result<(), XlsxError> {
                    if let Some(v) = v {
                        ws.write_string(row, col(c), v)?;
                    }
                    Ok(())
                };
                w(
                    "Sexe",
                    e.code_sexe
                        .as_ref()
                        .map(|s| if *s == Sexe::Feminin { "F" } else { "M" }),
                    ws,
                )?;
                w(
                    "Pays Nat.",
                    e.code_pays_nat
                        .as_ref()
                        .map(|n| n.0.label())
                        .map(|l| l.to_uppercase())
                        .as_deref(),
                    ws,
                )?;
                if let Some(n) = e.elenoet.as_ref().and_then(|n| n.parse::<f64>().ok()) {
                    ws.write_number(row, col("Elève No Etab"), n)?;
                }
                w("Num. Elève Etab", e.id_eleve_etab.as_deref(), ws)?;
                w("Nom de famille", Some(&e.nom_de_famille), ws)?;
                w("Prénom", Some(&e.prenom), ws)?;
                w("Prénom 2", e.prenom2.as_deref(), ws)?;
                if let Some(d) = e.date_naiss {
                    if i % 2 == 0 {
                        let dt = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string())?;
                        ws.write_datetime_with_format(
                            row,
                            col("Date Naissance"),
                            dt,
                            &date_format,
                        )?;
                    } else {
                        ws.write_string(
                            row,
                            col("Date Naissance"),
                            d.format("%d/%m/%Y").to_string(),
                        )?;
                    }
                }
                w(
                    "Doublement",
                    e.doublement.map(|b| if b { "O" } else { "N" }),
                    ws,
                )?;
                w(
                    "Id National",
                    e.id_national.as_ref().map(|i| i.as_str()),
                    ws,
                )?;
                w(
                    "Date Entrée",
                    e.date_entree
                        .map(|d| d.format("%d/%m/%Y").to_string())
                        .as_deref(),
                    ws,
                )?;
                w("Ville Naiss. Etrangère", e.ville_naiss.as_deref(), ws)?;
                w(
                    "Pays Naiss.",
                    e.code_pays
                        .as_ref()
                        .map(|p| p.label().to_uppercase())
                        .as_deref(),
                    ws,
                )?;
                if let Some(r) = e
                    .code_regime
                    .as_ref()
                    .and_then(|r| r.code().parse::<f64>().ok())
                {
                    ws.write_number(row, col("Code Régime"), r)?;
                }
                w("Lib. Régime", e.code_regime.as_ref().map(|r| r.label()), ws)?;
                if let Some(m) = e.code_mef.as_ref().and_then(|m| m.parse::<f64>().ok()) {
                    ws.write_number(row, col("Code MEF"), m)?;
                }
                w("Code Structure", Some(&s.code_structure), ws)?;
                w("Type Structure", Some(s.type_structure.code()), ws)?;
                for (k, o) in options
                    .map(|o| o.options.as_slice())
                    .unwrap_or(&[])
                    .iter()
                    .take(12)
                    .enumerate()
                {
                    let n = k + 1;
                    let gestion = self
                        .matieres
                        .iter()
                        .find(|m| m.code_matiere == o.code_matiere)
                        .and_then(|m| m.code_gestion.clone())
                        .unwrap_or_else(|| o.code_matiere.clone());
                    w(
                        &format!("Clé Gestion Mat. Enseignée {n}"),
                        Some(&gestion),
                        ws,
                    )?;
                    let modalite = o
                        .code_modalite_elect
                        .as_ref()
                        .unwrap_or(&ModaliteElection::Obligatoire);
                    w(
                        &format!("Code Modalité Elect. {n}"),
                        Some(modalite.code()),
                        ws,
                    )?;
                }
                w(
                    "Tél. Portable",
                    e.tel_portable.as_deref().map(spaced_phone).as_deref(),
                    ws,
                )?;
                if let Some(a) = adresse(e.adresse_id, &self.adresses_eleves) {
                    w("Ligne Adresse 1", a.lignes[0].as_deref(), ws)?;
                    w("Lib. Postal", a.libelle_postal.as_deref(), ws)?;
                    w("Code Postal", a.code_postal.as_deref(), ws)?;
                    w("Pays", a.ll_pays.as_deref(), ws)?;
                }
                for (k, link) in links.iter().enumerate() {
                    let r = k + 1;
                    let Some(p) = self
                        .personnes
                        .iter()
                        .find(|p| p.personne_id == link.personne_id)
                    else {
                        continue;
                    };
                    let g = |s: &str| format!("{s} Repr. Lég. {r}");
                    let civ = p
                        .civilite
                        .as_ref()
                        .map(|c| if *c == Civilite::Madame { "MME" } else { "M." });
                    w(&g("Civilité"), civ, ws)?;
                    w(&g("Nom de famille"), Some(&p.nom_de_famille), ws)?;
                    w(&g("Prénom"), Some(&p.prenom), ws)?;
                    w(
                        &g("Lien Parenté"),
                        link.code_parente.as_ref().map(parente_label),
                        ws,
                    )?;
                    w(
                        &g("Tél. Portable"),
                        p.tel_portable.as_deref().map(spaced_phone).as_deref(),
                        ws,
                    )?;
                    w(&g("Email"), p.mel.as_deref(), ws)?;
                    w(
                        &g("Communication Adresse postale et courriel"),
                        p.communication_adresse.map(|b| if b { "O" } else { "N" }),
                        ws,
                    )?;
                    if let Some(a) = adresse(p.adresse_id, &self.adresses_responsables) {
                        w(&g("Ligne Adresse 1"), a.lignes[0].as_deref(), ws)?;
                        w(&g("Ligne Adresse 2"), a.lignes[1].as_deref(), ws)?;
                        w(&g("Lib. Postal"), a.libelle_postal.as_deref(), ws)?;
                        if let Some(cp) = a.code_postal.as_ref().and_then(|c| c.parse::<f64>().ok())
                        {
                            // As a number: the leading zero of « 01000 » is lost, as in real files.
                            ws.write_number(row, col(&g("Code Postal")), cp)?;
                        }
                        w(&g("Code Département"), a.code_departement.as_deref(), ws)?;
                        w(&g("Pays"), a.ll_pays.as_deref(), ws)?;
                    }
                }
                row += 1;
            }
        }
        wb.save_to_buffer()
    }
}
