//! Writes a synthetic school as the 136-column spreadsheet export (XLSX), with the
//! real header names, one row per structure of each pupil (multi-row pupils), the two
//! guardians side by side, and the mix of cell types real files have: MEF and régime
//! codes as numbers, birth dates as date cells or text, phones as spaced text.
//! Behind the `xlsx` feature (rust_xlsxwriter).

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::codes::{Civilite, ModaliteElection, Parente, Sexe};
use crate::eleves::{Eleve, OptionEleve, StructureEleve};
use crate::responsables::ResponsableEleve;
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
        let mut wb = Workbook::new();
        let date_format = Format::new().set_num_format("dd/mm/yyyy");
        let ws = wb.add_worksheet().set_name("Elèves Complète")?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, h)?;
        }
        let mut row = 1u32;
        for (i, e) in self.eleves.iter().enumerate() {
            let options = self.options.iter().find(|o| o.eleve_id == e.eleve_id);
            let options = options.map(|o| o.options.as_slice()).unwrap_or(&[]);
            let structures = self.structures.iter().find(|s| s.eleve_id == e.eleve_id);
            let links = self.legal_links(e.eleve_id);
            for s in structures.map(|s| s.structures.as_slice()).unwrap_or(&[]) {
                let mut r = Row {
                    ws: &mut *ws,
                    row,
                    headers: &headers,
                };
                // Every other pupil's birth date is a date cell, the others are text.
                let date_format = (i % 2 == 0).then_some(&date_format);
                pupil_cells(&mut r, e, s, date_format)?;
                self.option_cells(&mut r, options)?;
                r.text(
                    "Tél. Portable",
                    e.tel_portable.as_deref().map(spaced_phone).as_deref(),
                )?;
                if let Some(a) = adresse(e.adresse_id, &self.adresses_eleves) {
                    r.text("Ligne Adresse 1", a.lignes[0].as_deref())?;
                    r.text("Lib. Postal", a.libelle_postal.as_deref())?;
                    r.text("Code Postal", a.code_postal.as_deref())?;
                    r.text("Pays", a.ll_pays.as_deref())?;
                }
                for (k, link) in links.iter().enumerate() {
                    self.guardian_cells(&mut r, k + 1, link)?;
                }
                row += 1;
            }
        }
        wb.save_to_buffer()
    }

    /// The pupil's first two legal guardians (« Repr. Lég. 1 » and « 2 »).
    fn legal_links(&self, eleve_id: u64) -> Vec<&ResponsableEleve> {
        let mut links: Vec<_> = self
            .responsables
            .iter()
            .filter(|r| {
                r.eleve_id == eleve_id
                    && r.niveau_responsabilite
                        .as_ref()
                        .is_some_and(|n| n.code() == "1")
            })
            .collect();
        links.truncate(2);
        links
    }

    /// The first 12 options, by management key (« Clé Gestion Mat. Enseignée N »).
    fn option_cells(&self, r: &mut Row<'_>, options: &[OptionEleve]) -> Result<(), XlsxError> {
        for (k, o) in options.iter().take(12).enumerate() {
            let n = k + 1;
            let gestion = self
                .matieres
                .iter()
                .find(|m| m.code_matiere == o.code_matiere)
                .and_then(|m| m.code_gestion.clone())
                .unwrap_or_else(|| o.code_matiere.clone());
            r.text(&format!("Clé Gestion Mat. Enseignée {n}"), Some(&gestion))?;
            let modalite = o
                .code_modalite_elect
                .as_ref()
                .unwrap_or(&ModaliteElection::Obligatoire);
            r.text(&format!("Code Modalité Elect. {n}"), Some(modalite.code()))?;
        }
        Ok(())
    }

    /// The columns of legal guardian `rank` (1 or 2).
    fn guardian_cells(
        &self,
        r: &mut Row<'_>,
        rank: usize,
        link: &ResponsableEleve,
    ) -> Result<(), XlsxError> {
        let Some(p) = self
            .personnes
            .iter()
            .find(|p| p.personne_id == link.personne_id)
        else {
            return Ok(());
        };
        let g = |s: &str| format!("{s} Repr. Lég. {rank}");
        let civ = p
            .civilite
            .as_ref()
            .map(|c| if *c == Civilite::Madame { "MME" } else { "M." });
        r.text(&g("Civilité"), civ)?;
        r.text(&g("Nom de famille"), Some(&p.nom_de_famille))?;
        r.text(&g("Prénom"), Some(&p.prenom))?;
        r.text(
            &g("Lien Parenté"),
            link.code_parente.as_ref().map(parente_label),
        )?;
        r.text(
            &g("Tél. Portable"),
            p.tel_portable.as_deref().map(spaced_phone).as_deref(),
        )?;
        r.text(&g("Email"), p.mel.as_deref())?;
        r.text(
            &g("Communication Adresse postale et courriel"),
            p.communication_adresse.map(|b| if b { "O" } else { "N" }),
        )?;
        if let Some(a) = adresse(p.adresse_id, &self.adresses_responsables) {
            r.text(&g("Ligne Adresse 1"), a.lignes[0].as_deref())?;
            r.text(&g("Ligne Adresse 2"), a.lignes[1].as_deref())?;
            r.text(&g("Lib. Postal"), a.libelle_postal.as_deref())?;
            if let Some(cp) = a.code_postal.as_ref().and_then(|c| c.parse::<f64>().ok()) {
                // As a number: the leading zero of « 01000 » is lost, as in real files.
                r.number(&g("Code Postal"), cp)?;
            }
            r.text(&g("Code Département"), a.code_departement.as_deref())?;
            r.text(&g("Pays"), a.ll_pays.as_deref())?;
        }
        Ok(())
    }
}

/// One row of the sheet, written cell by cell under header names.
struct Row<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    headers: &'a [String],
}

impl Row<'_> {
    /// The column of a header (the first column for an unknown one).
    fn col(&self, name: &str) -> u16 {
        self.headers.iter().position(|h| h == name).unwrap_or(0) as u16
    }

    /// A text cell; nothing when `None`.
    fn text(&mut self, name: &str, value: Option<&str>) -> Result<(), XlsxError> {
        if let Some(v) = value {
            let col = self.col(name);
            self.ws.write_string(self.row, col, v)?;
        }
        Ok(())
    }

    /// A number cell, as real files have for codes (MEF, régime, postcode).
    fn number(&mut self, name: &str, value: f64) -> Result<(), XlsxError> {
        let col = self.col(name);
        self.ws.write_number(self.row, col, value)?;
        Ok(())
    }
}

/// An address of the list by its id.
fn adresse(id: Option<u64>, list: &[Adresse]) -> Option<Adresse> {
    id.and_then(|id| list.iter().find(|a| a.adresse_id == id))
        .cloned()
}

/// The pupil's own columns on the row of one of their structures; the birth date as
/// a date cell when `date_format` is given, as text otherwise.
fn pupil_cells(
    r: &mut Row<'_>,
    e: &Eleve,
    s: &StructureEleve,
    date_format: Option<&Format>,
) -> Result<(), XlsxError> {
    r.text(
        "Sexe",
        e.code_sexe
            .as_ref()
            .map(|s| if *s == Sexe::Feminin { "F" } else { "M" }),
    )?;
    r.text(
        "Pays Nat.",
        e.code_pays_nat
            .as_ref()
            .map(|n| n.0.label())
            .map(|l| l.to_uppercase())
            .as_deref(),
    )?;
    if let Some(n) = e.elenoet.as_ref().and_then(|n| n.parse::<f64>().ok()) {
        r.number("Elève No Etab", n)?;
    }
    r.text("Num. Elève Etab", e.id_eleve_etab.as_deref())?;
    r.text("Nom de famille", Some(&e.nom_de_famille))?;
    r.text("Prénom", Some(&e.prenom))?;
    r.text("Prénom 2", e.prenom2.as_deref())?;
    if let Some(d) = e.date_naiss {
        match date_format {
            Some(format) => {
                let dt = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string())?;
                let col = r.col("Date Naissance");
                r.ws.write_datetime_with_format(r.row, col, dt, format)?;
            }
            None => r.text("Date Naissance", Some(&d.format("%d/%m/%Y").to_string()))?,
        }
    }
    r.text(
        "Doublement",
        e.doublement.map(|b| if b { "O" } else { "N" }),
    )?;
    r.text("Id National", e.id_national.as_ref().map(|i| i.as_str()))?;
    r.text(
        "Date Entrée",
        e.date_entree
            .map(|d| d.format("%d/%m/%Y").to_string())
            .as_deref(),
    )?;
    r.text("Ville Naiss. Etrangère", e.ville_naiss.as_deref())?;
    r.text(
        "Pays Naiss.",
        e.code_pays
            .as_ref()
            .map(|p| p.label().to_uppercase())
            .as_deref(),
    )?;
    if let Some(code) = e
        .code_regime
        .as_ref()
        .and_then(|r| r.code().parse::<f64>().ok())
    {
        r.number("Code Régime", code)?;
    }
    r.text("Lib. Régime", e.code_regime.as_ref().map(|r| r.label()))?;
    if let Some(m) = e.code_mef.as_ref().and_then(|m| m.parse::<f64>().ok()) {
        r.number("Code MEF", m)?;
    }
    r.text("Code Structure", Some(&s.code_structure))?;
    r.text("Type Structure", Some(s.type_structure.code()))
}
