//! Writes a synthetic school as the four XML exports, with the element order of real
//! files.

use std::io::{self, Write};

use crate::codes::{
    Civilite, ModaliteElection, Nationalite, NiveauResponsabilite, Parente, Pays, Pcs, Regime, Sexe,
};
use crate::eleves::{Eleve, OptionsEleve, ScolariteAnDernier, StructuresEleve};
use crate::nomenclatures::{Matiere, Mef};
use crate::responsables::{Personne, ResponsableEleve};
use crate::types::{Adresse, Ine};

use super::xml_out::{XmlOut, b01, date, tf};
use super::{
    FICHIER_ELEVES, FICHIER_NOMENCLATURE, FICHIER_RESPONSABLES, FICHIER_STRUCTURES, SynthSchool,
};

impl SynthSchool {
    fn header<W: Write>(&self, out: &mut XmlOut<W>, root: &str, version: &str) {
        out.raw("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n");
        out.raw(&format!("<{root} VERSION=\"{version}\">\n"));
        out.open(1, "PARAMETRES", &[]);
        out.leaf(2, "UAJ", Some(self.uai.as_str()));
        out.leaf(2, "ANNEE_SCOLAIRE", Some(&self.annee_scolaire.to_string()));
        out.leaf(
            2,
            "DATE_EXPORT",
            Some(&self.horodatage.format("%d/%m/%Y").to_string()),
        );
        out.leaf(
            2,
            "HORODATAGE",
            Some(&self.horodatage.format("%d/%m/%Y %H:%M:%S").to_string()),
        );
        out.close(1, "PARAMETRES");
        out.open(1, "DONNEES", &[]);
    }

    fn write_adresses<W: Write>(out: &mut XmlOut<W>, adresses: &[Adresse]) -> io::Result<()> {
        out.open(2, "ADRESSES", &[]);
        for a in adresses {
            out.open(3, "ADRESSE", &[("ADRESSE_ID", &a.adresse_id.to_string())]);
            for (i, l) in a.lignes.iter().enumerate() {
                out.leaf_or_empty(4, &format!("LIGNE{}_ADRESSE", i + 1), l.as_deref());
            }
            out.leaf_or_empty(4, "COMMUNE_ETRANGERE", a.commune_etrangere.as_deref());
            out.leaf(4, "BOITE_POSTALE", a.boite_postale.as_deref());
            out.leaf(4, "CODE_POSTAL", a.code_postal.as_deref());
            out.leaf(4, "CODE_PAYS", a.code_pays.as_ref().map(Pays::code));
            out.leaf(4, "CODE_COMMUNE_INSEE", a.code_commune_insee.as_deref());
            out.leaf(4, "LL_PAYS", a.ll_pays.as_deref());
            out.leaf(4, "CODE_DEPARTEMENT", a.code_departement.as_deref());
            out.leaf(4, "LIBELLE_POSTAL", a.libelle_postal.as_deref());
            out.close(3, "ADRESSE");
            out.flush_if_big()?;
        }
        out.close(2, "ADRESSES");
        Ok(())
    }

    /// Writes ElevesAvecAdresses.xml (BEE_ELEVES).
    pub fn write_eleves<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_ELEVES", "3.0");
        out.open(2, "ELEVES", &[]);
        for e in &self.eleves {
            write_eleve(&mut out, e);
            out.flush_if_big()?;
        }
        out.close(2, "ELEVES");
        write_options(&mut out, &self.options)?;
        write_structures_eleves(&mut out, &self.structures)?;
        out.raw("    <BOURSES />\n");
        Self::write_adresses(&mut out, &self.adresses_eleves)?;
        out.close(1, "DONNEES");
        out.close(0, "BEE_ELEVES");
        out.flush()
    }

    /// Writes ResponsablesAvecAdresses.xml (BEE_RESPONSABLES).
    pub fn write_responsables<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_RESPONSABLES", "2.1");
        out.open(2, "PERSONNES", &[]);
        for p in &self.personnes {
            write_personne(&mut out, p);
            out.flush_if_big()?;
        }
        out.close(2, "PERSONNES");
        out.open(2, "RESPONSABLES", &[]);
        for r in &self.responsables {
            write_responsable(&mut out, r);
            out.flush_if_big()?;
        }
        out.close(2, "RESPONSABLES");
        Self::write_adresses(&mut out, &self.adresses_responsables)?;
        out.close(1, "DONNEES");
        out.close(0, "BEE_RESPONSABLES");
        out.flush()
    }

    /// Writes Nomenclature.xml (BEE_NOMENCLATURES). CODE_GESTION and LIBELLE_COURT are
    /// space-padded to their fixed width, as in real files.
    pub fn write_nomenclature<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_NOMENCLATURES", "3.1");
        out.open(2, "MEFS", &[]);
        for m in &self.mefs {
            write_mef(&mut out, m);
        }
        out.close(2, "MEFS");
        out.open(2, "MATIERES", &[]);
        for m in &self.matieres {
            write_matiere(&mut out, m);
        }
        out.close(2, "MATIERES");
        out.open(2, "PROGRAMMES", &[]);
        for p in &self.programmes {
            out.open(3, "PROGRAMME", &[]);
            out.leaf(4, "CODE_MEF", Some(&p.code_mef));
            out.leaf(4, "CODE_MATIERE", Some(&p.code_matiere));
            out.leaf(
                4,
                "CODE_MODALITE_ELECT",
                p.code_modalite_elect.as_ref().map(ModaliteElection::code),
            );
            out.leaf(
                4,
                "HORAIRE",
                p.horaire.map(|h| format!("{h:.2}")).as_deref(),
            );
            out.close(3, "PROGRAMME");
        }
        out.close(2, "PROGRAMMES");
        out.open(2, "OPTIONS_OBLIGATOIRES", &[]);
        for o in &self.options_obligatoires {
            out.open(3, "OPTION_OBLIGATOIRE", &[]);
            out.leaf(4, "CODE_MEF", Some(&o.code_mef));
            out.leaf(4, "CODE_MATIERE", Some(&o.code_matiere));
            out.leaf(4, "RANG_OPTION", Some(&o.rang_option.to_string()));
            out.close(3, "OPTION_OBLIGATOIRE");
        }
        out.close(2, "OPTIONS_OBLIGATOIRES");
        out.open(2, "PROVENANCES", &[]);
        for (code, short, long) in super::nomenclature::PROVENANCES {
            out.open(3, "PROVENANCE", &[("CODE_PROVENANCE", code)]);
            out.leaf(4, "LIBELLE_COURT", Some(short));
            out.leaf(4, "LIBELLE_LONG", Some(long));
            out.close(3, "PROVENANCE");
        }
        out.close(2, "PROVENANCES");
        out.close(1, "DONNEES");
        out.close(0, "BEE_NOMENCLATURES");
        out.flush()
    }

    /// Writes Structures.xml (BEE_STRUCTURES).
    pub fn write_structures<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_STRUCTURES", "2.0");
        out.open(2, "DIVISIONS", &[]);
        for dv in &self.divisions {
            out.open(3, "DIVISION", &[("CODE_STRUCTURE", &dv.code_structure)]);
            out.leaf(4, "LIBELLE_LONG", dv.libelle_long.as_deref());
            out.leaf(4, "CODE_CONTRAT", dv.code_contrat.as_deref());
            out.open(4, "MEFS_APPARTENANCE", &[]);
            for m in &dv.mefs {
                out.open(5, "MEF_APPARTENANCE", &[]);
                out.leaf(6, "CODE_MEF", Some(m));
                out.close(5, "MEF_APPARTENANCE");
            }
            out.close(4, "MEFS_APPARTENANCE");
            out.close(3, "DIVISION");
        }
        out.close(2, "DIVISIONS");
        out.open(2, "GROUPES", &[]);
        for g in &self.groupes {
            out.open(3, "GROUPE", &[("CODE_STRUCTURE", &g.code_structure)]);
            out.leaf(4, "LIBELLE_LONG", g.libelle_long.as_deref());
            out.open(4, "DIVISIONS_APPARTENANCE", &[]);
            for dv in &g.divisions {
                out.open(5, "DIVISION_APPARTENANCE", &[]);
                out.leaf(6, "CODE_STRUCTURE", Some(dv));
                out.close(5, "DIVISION_APPARTENANCE");
            }
            out.close(4, "DIVISIONS_APPARTENANCE");
            out.open(4, "MEFS_APPARTENANCE", &[]);
            for m in &g.mefs {
                out.open(5, "MEF_APPARTENANCE", &[]);
                out.leaf(6, "CODE_MEF", Some(m));
                out.close(5, "MEF_APPARTENANCE");
            }
            out.close(4, "MEFS_APPARTENANCE");
            out.close(3, "GROUPE");
        }
        out.close(2, "GROUPES");
        out.close(1, "DONNEES");
        out.close(0, "BEE_STRUCTURES");
        out.flush()
    }

    /// Writes the four files under their SIECLE names into `dir` (which must exist).
    /// The only function of the crate that touches the file system, for the CLI.
    pub fn write_all_to_dir(&self, dir: &std::path::Path) -> io::Result<()> {
        let file = |name: &str| std::fs::File::create(dir.join(name)).map(io::BufWriter::new);
        self.write_eleves(file(FICHIER_ELEVES)?)?;
        self.write_responsables(file(FICHIER_RESPONSABLES)?)?;
        self.write_nomenclature(file(FICHIER_NOMENCLATURE)?)?;
        self.write_structures(file(FICHIER_STRUCTURES)?)?;
        Ok(())
    }
}

/// One ELEVE element.
fn write_eleve<W: Write>(out: &mut XmlOut<W>, e: &Eleve) {
    let id = e.eleve_id.to_string();
    let elenoet = e.elenoet.clone().unwrap_or_default();
    out.open(3, "ELEVE", &[("ELEVE_ID", &id), ("ELENOET", &elenoet)]);
    out.leaf(4, "ID_NATIONAL", e.id_national.as_ref().map(Ine::as_str));
    out.leaf(4, "INE_BEA", e.ine_bea.as_deref());
    out.leaf(4, "INE_RNIE", e.ine_rnie.as_deref());
    out.leaf(4, "ELENOET", e.elenoet.as_deref());
    out.leaf(4, "ID_ELEVE_ETAB", e.id_eleve_etab.as_deref());
    out.leaf(4, "ID_PRV_ELE", e.id_prv_ele.as_deref());
    out.leaf(4, "NOM_DE_FAMILLE", Some(&e.nom_de_famille));
    out.leaf(4, "NOM_USAGE", e.nom_usage.as_deref());
    out.leaf(4, "PRENOM", Some(&e.prenom));
    out.leaf(4, "PRENOM2", e.prenom2.as_deref());
    out.leaf(4, "PRENOM3", e.prenom3.as_deref());
    out.leaf(4, "DATE_NAISS", date(e.date_naiss).as_deref());
    out.leaf(4, "DOUBLEMENT", b01(e.doublement));
    out.leaf(4, "CODE_PAYS", e.code_pays.as_ref().map(Pays::code));
    out.leaf(4, "ACCEPTE_SMS", b01(e.accepte_sms));
    out.leaf(4, "DATE_MODIFICATION", date(e.date_modification).as_deref());
    out.leaf(4, "CODE_REGIME", e.code_regime.as_ref().map(Regime::code));
    out.leaf(4, "DATE_ENTREE", date(e.date_entree).as_deref());
    out.leaf(4, "DATE_SORTIE", date(e.date_sortie).as_deref());
    out.leaf(4, "CODE_MOTIF_SORTIE", e.code_motif_sortie.as_deref());
    out.leaf_or_empty(4, "VILLE_NAISS", e.ville_naiss.as_deref());
    out.leaf(4, "CODE_SEXE", e.code_sexe.as_ref().map(Sexe::code));
    out.leaf(
        4,
        "CODE_PAYS_NAT",
        e.code_pays_nat.as_ref().map(Nationalite::code),
    );
    out.leaf(4, "CODE_STATUT", e.code_statut.as_deref());
    out.leaf(4, "CODE_MEF", e.code_mef.as_deref());
    out.leaf(
        4,
        "CODE_DEPARTEMENT_NAISS",
        e.code_departement_naiss.as_deref(),
    );
    out.leaf(
        4,
        "CODE_COMMUNE_INSEE_NAISS",
        e.code_commune_insee_naiss.as_deref(),
    );
    out.leaf(4, "ADHESION_TRANSPORT", b01(e.adhesion_transport));
    out.leaf(4, "CODE_PROVENANCE", e.code_provenance.as_deref());
    out.leaf(4, "TEL_PERSONNEL", e.tel_personnel.as_deref());
    out.leaf(4, "TEL_PORTABLE", e.tel_portable.as_deref());
    out.leaf(4, "TEL_PROFESSIONNEL", e.tel_professionnel.as_deref());
    out.leaf(4, "MEL", e.mel.as_deref());
    out.leaf(
        4,
        "ADRESSE_ID",
        e.adresse_id.map(|a| a.to_string()).as_deref(),
    );
    if let Some(s) = &e.scolarite_an_dernier {
        write_scolarite_an_dernier(out, s);
    }
    out.close(3, "ELEVE");
}

/// Last year's schooling of a pupil (SCOLARITE_AN_DERNIER).
fn write_scolarite_an_dernier<W: Write>(out: &mut XmlOut<W>, s: &ScolariteAnDernier) {
    out.open(4, "SCOLARITE_AN_DERNIER", &[]);
    out.leaf(5, "CODE_MEF", s.code_mef.as_deref());
    out.leaf_or_empty(5, "CODE_STRUCTURE", s.code_structure.as_deref());
    out.leaf(5, "CODE_RNE", s.code_rne.as_deref());
    out.leaf(5, "CODE_NATURE", s.code_nature.as_deref());
    out.leaf(5, "SIGLE", s.sigle.as_deref());
    out.leaf(5, "DENOM_PRINC", s.denom_princ.as_deref());
    out.leaf(5, "DENOM_COMPL", s.denom_compl.as_deref());
    out.leaf(5, "CODE_COMMUNE_INSEE", s.code_commune_insee.as_deref());
    out.leaf(5, "LL_COMMUNE_INSEE", s.ll_commune_insee.as_deref());
    out.close(4, "SCOLARITE_AN_DERNIER");
}

/// The OPTIONS block: the options of each pupil.
fn write_options<W: Write>(out: &mut XmlOut<W>, options: &[OptionsEleve]) -> io::Result<()> {
    out.open(2, "OPTIONS", &[]);
    for o in options {
        out.open(3, "OPTION", &[("ELEVE_ID", &o.eleve_id.to_string())]);
        for opt in &o.options {
            out.open(4, "OPTIONS_ELEVE", &[]);
            out.leaf(
                5,
                "NUM_OPTION",
                opt.num_option.map(|n| n.to_string()).as_deref(),
            );
            out.leaf(
                5,
                "CODE_MODALITE_ELECT",
                opt.code_modalite_elect.as_ref().map(ModaliteElection::code),
            );
            out.leaf(5, "CODE_MATIERE", Some(&opt.code_matiere));
            out.close(4, "OPTIONS_ELEVE");
        }
        out.close(3, "OPTION");
        out.flush_if_big()?;
    }
    out.close(2, "OPTIONS");
    Ok(())
}

/// The STRUCTURES block: the divisions and groups of each pupil.
fn write_structures_eleves<W: Write>(
    out: &mut XmlOut<W>,
    structures: &[StructuresEleve],
) -> io::Result<()> {
    out.open(2, "STRUCTURES", &[]);
    for s in structures {
        out.open(
            3,
            "STRUCTURES_ELEVE",
            &[("ELEVE_ID", &s.eleve_id.to_string())],
        );
        for st in &s.structures {
            out.open(4, "STRUCTURE", &[]);
            out.leaf(5, "CODE_STRUCTURE", Some(&st.code_structure));
            out.leaf(5, "TYPE_STRUCTURE", Some(st.type_structure.code()));
            out.close(4, "STRUCTURE");
        }
        out.close(3, "STRUCTURES_ELEVE");
        out.flush_if_big()?;
    }
    out.close(2, "STRUCTURES");
    Ok(())
}

/// One PERSONNE element.
fn write_personne<W: Write>(out: &mut XmlOut<W>, p: &Personne) {
    out.open(
        3,
        "PERSONNE",
        &[("PERSONNE_ID", &p.personne_id.to_string())],
    );
    out.leaf(4, "ID_PRV_PER", p.id_prv_per.as_deref());
    let (lc, ll) = match p.civilite {
        Some(Civilite::Madame) => (Some("MME"), Some("MADAME")),
        Some(Civilite::Monsieur) => (Some("M."), Some("MONSIEUR")),
        _ => (None, None),
    };
    out.leaf(4, "LC_CIVILITE", lc);
    out.leaf(4, "LL_CIVILITE", ll);
    out.leaf(4, "NOM_DE_FAMILLE", Some(&p.nom_de_famille));
    out.leaf(4, "NOM_USAGE", p.nom_usage.as_deref());
    out.leaf(4, "PRENOM", Some(&p.prenom));
    out.leaf_or_empty(4, "TEL_PERSONNEL", p.tel_personnel.as_deref());
    out.leaf_or_empty(4, "TEL_PORTABLE", p.tel_portable.as_deref());
    out.leaf(4, "ACCEPTE_SMS", b01(p.accepte_sms));
    out.leaf_or_empty(4, "TEL_PROFESSIONNEL", p.tel_professionnel.as_deref());
    out.leaf(4, "MEL", p.mel.as_deref());
    out.leaf(4, "COMMUNICATION_ADRESSE", b01(p.communication_adresse));
    out.leaf(
        4,
        "ADRESSE_ID",
        p.adresse_id.map(|a| a.to_string()).as_deref(),
    );
    out.leaf(
        4,
        "CODE_PROFESSION",
        p.code_profession.as_ref().map(Pcs::code),
    );
    out.close(3, "PERSONNE");
}

/// One RESPONSABLE_ELEVE element (a pupil–person link).
fn write_responsable<W: Write>(out: &mut XmlOut<W>, r: &ResponsableEleve) {
    out.open(3, "RESPONSABLE_ELEVE", &[]);
    out.leaf(4, "ELEVE_ID", Some(&r.eleve_id.to_string()));
    out.leaf(4, "PERSONNE_ID", Some(&r.personne_id.to_string()));
    out.leaf(
        4,
        "NIVEAU_RESPONSABILITE",
        r.niveau_responsabilite
            .as_ref()
            .map(NiveauResponsabilite::code),
    );
    out.leaf(
        4,
        "RESP_LEGAL",
        r.resp_legal.map(|n| n.to_string()).as_deref(),
    );
    out.leaf(
        4,
        "CODE_PARENTE",
        r.code_parente.as_ref().map(Parente::code),
    );
    out.leaf(4, "PAIE_FRAIS_SCOLAIRES", b01(r.paie_frais_scolaires));
    out.leaf(4, "PERCOIT_LES_AIDES", tf(r.percoit_les_aides));
    out.leaf(4, "HEBERGE_ELEVE", tf(r.heberge_eleve));
    out.leaf(4, "A_CONTACTER_EN_PRIORITE", tf(r.a_contacter_en_priorite));
    out.close(3, "RESPONSABLE_ELEVE");
}

/// One MEF element.
fn write_mef<W: Write>(out: &mut XmlOut<W>, m: &Mef) {
    out.open(3, "MEF", &[("CODE_MEF", &m.code_mef)]);
    out.leaf(4, "FORMATION", m.formation.as_deref());
    out.leaf(4, "SPECIALITE", m.specialite.as_deref());
    out.leaf(4, "LIBELLE_LONG", m.libelle_long.as_deref());
    out.leaf(4, "LIBELLE_EDITION", m.libelle_edition.as_deref());
    out.leaf(4, "STATUT_MEF", m.statut_mef.as_deref());
    out.leaf(4, "MEF_RATTACHEMENT", m.mef_rattachement.as_deref());
    out.leaf(4, "CODE_MEFSTAT", m.code_mefstat.as_deref());
    out.leaf(
        4,
        "NB_OPT_OBLIG",
        m.nb_opt_oblig.map(|n| n.to_string()).as_deref(),
    );
    out.leaf(
        4,
        "NB_OPT_MINI",
        m.nb_opt_mini.map(|n| n.to_string()).as_deref(),
    );
    out.leaf(4, "RENFORCEMENT_LANGUES", b01(m.renforcement_langues));
    out.leaf(4, "INSCRIPTION_ETAB", b01(m.inscription_etab));
    out.leaf(4, "MEF_ORIGINE", b01(m.mef_origine));
    out.leaf(4, "MEF_SELECTIONNE", b01(m.mef_selectionne));
    out.leaf(4, "MEF_SELORIG", b01(m.mef_selorig));
    out.leaf(4, "DATE_OUVERTURE", date(m.date_ouverture).as_deref());
    out.leaf(4, "DATE_FERMETURE", date(m.date_fermeture).as_deref());
    out.close(3, "MEF");
}

/// One MATIERE element; CODE_GESTION and LIBELLE_COURT are space-padded to their
/// fixed width, as in real files.
fn write_matiere<W: Write>(out: &mut XmlOut<W>, m: &Matiere) {
    out.open(3, "MATIERE", &[("CODE_MATIERE", &m.code_matiere)]);
    out.leaf(
        4,
        "CODE_GESTION",
        m.code_gestion
            .as_ref()
            .map(|c| format!("{c:<5}"))
            .as_deref(),
    );
    out.leaf(
        4,
        "LIBELLE_COURT",
        m.libelle_court
            .as_ref()
            .map(|c| format!("{c:<20}"))
            .as_deref(),
    );
    out.leaf(4, "LIBELLE_LONG", m.libelle_long.as_deref());
    out.leaf(4, "LIBELLE_EDITION", m.libelle_edition.as_deref());
    out.leaf(4, "MATIERE_ETP", b01(m.matiere_etp));
    out.leaf(
        4,
        "CODE_MATIERE_NATIONALE",
        m.code_matiere_nationale.as_deref(),
    );
    out.close(3, "MATIERE");
}
