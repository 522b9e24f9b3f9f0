//! Reading a submitted case form into a case.

use reunite_domain::{Case, CaseStatus, Child, Consent, Name, Person, Separation, Sex};

use crate::kernel::forms::{self, Fields, FormProblem};
use crate::kernel::vocab::from_form;

/// Where each kept name and child came from in the form (blank rows are dropped), so that a
/// problem the domain reports for `children[0].names[1]` lands next to the right row.
#[derive(Default)]
pub(super) struct Origin {
    pub(super) mother_names: Vec<usize>,
    pub(super) father_names: Vec<usize>,
    pub(super) children: Vec<(usize, Vec<usize>)>,
}

pub(super) fn parse_names(f: &Fields, key: &str) -> (Vec<Name>, Vec<usize>) {
    let mut names = Vec::new();
    let mut origin = Vec::new();
    for i in 0..f.rows(&format!("{key}_")) {
        let text = f.get(&format!("{key}_{i}_text")).trim().to_string();
        if text.is_empty() {
            continue;
        }
        let kind = from_form(f.get(&format!("{key}_{i}_kind")));
        names.push(Name { text, kind });
        origin.push(i);
    }
    (names, origin)
}

/// Reads the submitted form into a case (blank rows dropped).
pub(super) fn parse_form(f: &Fields, id: &str) -> (Case, CaseStatus, Origin, Vec<FormProblem>) {
    let mut problems = Vec::new();
    let mut origin = Origin::default();
    let (m_names, m_origin) = parse_names(f, "m_name");
    origin.mother_names = m_origin;
    let mother = Person {
        names: m_names,
        sex: Some(Sex::F),
        birth: forms::date(f, "m_birth", &mut problems),
        birthplace: forms::place(f, "m_bp"),
    };
    let mut children = Vec::new();
    for j in 0..f.rows("c_") {
        let (names, n_origin) = parse_names(f, &format!("c_{j}_name"));
        let with_whom = f.get(&format!("c_{j}_with")).trim().to_string();
        let ch = Child {
            names,
            sex: from_form(f.get(&format!("c_{j}_sex"))),
            birth: forms::date(f, &format!("c_{j}_birth"), &mut problems),
            birthplace: forms::place(f, &format!("c_{j}_bp")),
            last_known: forms::place(f, &format!("c_{j}_lk")),
            with_whom: (!with_whom.is_empty()).then_some(with_whom),
        };
        if ch != Child::default() {
            children.push(ch);
            origin.children.push((j, n_origin));
        }
    }
    let (f_names, f_origin) = parse_names(f, "f_name");
    origin.father_names = f_origin;
    let father = (!f_names.is_empty()).then_some(Person {
        names: f_names,
        sex: Some(Sex::M),
        ..Default::default()
    });
    let sep = Separation {
        date: forms::date(f, "sep_date", &mut problems),
        place: forms::place(f, "sep_place"),
        cause: from_form(f.get("sep_cause")),
    };
    let separation = (sep != Separation::default()).then_some(sep);
    let contact = from_form(f.get("contact"));
    let consent = Consent {
        findable: f.on("consent_findable"),
        by_child: f.on("consent_by_child"),
        by_relatives: f.on("consent_by_relatives"),
        statistics: f.on("consent_statistics"),
        disclose_after_approval: f.on("consent_disclose"),
    };
    let case = Case {
        id: id.to_string(),
        mother,
        children,
        father,
        separation,
        residence_cn: forms::place(f, "res"),
        contact,
        consent: Some(consent),
    };
    let status = f.get("status").parse().unwrap_or_default();
    (case, status, origin, problems)
}
