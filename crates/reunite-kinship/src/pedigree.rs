//! Pedigrees of typed and untyped persons.
use std::collections::HashMap;

use serde::Serialize;

use crate::error::PedigreeError;

/// Sex of a parent; it selects the mutation rate of their transmissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Mother.
    Female,
    /// Father.
    Male,
}

/// A person of a pedigree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PedigreePerson {
    /// Identifier; matched against profile names (persons without a profile are untyped).
    pub name: String,
    /// Index of the father in [`Pedigree::persons`], `None` for a founder.
    pub father: Option<usize>,
    /// Index of the mother, `None` for a founder.
    pub mother: Option<usize>,
    /// Sex, known when the person is a parent.
    pub sex: Option<Sex>,
}

/// A pedigree: persons and their parents. Founders have no parents; a non-founder has both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pedigree {
    persons: Vec<PedigreePerson>,
    index: HashMap<String, usize>,
}

impl Pedigree {
    /// The persons, in order of first mention.
    pub fn persons(&self) -> &[PedigreePerson] {
        &self.persons
    }

    /// The index of `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    fn person(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.index.insert(name.to_string(), self.persons.len());
        self.persons.push(PedigreePerson {
            name: name.to_string(),
            father: None,
            mother: None,
            sex: None,
        });
        self.persons.len() - 1
    }

    fn set_sex(&mut self, i: usize, sex: Sex) -> Result<(), PedigreeError> {
        match self.persons[i].sex {
            Some(s) if s != sex => Err(PedigreeError::SexConflict(self.persons[i].name.clone())),
            _ => {
                self.persons[i].sex = Some(sex);
                Ok(())
            }
        }
    }

    /// Adds the clause "`father` and `mother` are the parents of `child`".
    pub fn add_family(
        &mut self,
        father: &str,
        mother: &str,
        child: &str,
    ) -> Result<(), PedigreeError> {
        let (f, m, c) = (self.person(father), self.person(mother), self.person(child));
        if f == m || f == c || m == c {
            return Err(PedigreeError::Syntax {
                clause: format!("{father}+{mother}>{child}"),
            });
        }
        self.set_sex(f, Sex::Male)?;
        self.set_sex(m, Sex::Female)?;
        let p = &mut self.persons[c];
        match (p.father, p.mother) {
            (None, None) => {
                p.father = Some(f);
                p.mother = Some(m);
            }
            (Some(f0), Some(m0)) if f0 == f && m0 == m => {}
            _ => return Err(PedigreeError::TwoParentPairs(child.to_string())),
        }
        self.check_acyclic()
    }

    /// Adds a person without parents (a founder), if not yet present.
    pub fn add_person(&mut self, name: &str) {
        self.person(name);
    }

    fn check_acyclic(&self) -> Result<(), PedigreeError> {
        // 0 = unvisited, 1 = on stack, 2 = done.
        fn visit(p: &Pedigree, i: usize, mark: &mut [u8]) -> Result<(), PedigreeError> {
            match mark[i] {
                1 => return Err(PedigreeError::Cycle(p.persons[i].name.clone())),
                2 => return Ok(()),
                _ => {}
            }
            mark[i] = 1;
            for par in [p.persons[i].father, p.persons[i].mother]
                .into_iter()
                .flatten()
            {
                visit(p, par, mark)?;
            }
            mark[i] = 2;
            Ok(())
        }
        let mut mark = vec![0u8; self.persons.len()];
        for i in 0..self.persons.len() {
            visit(self, i, &mut mark)?;
        }
        Ok(())
    }

    /// Parses `father+mother>child` clauses separated by `;`, e.g.
    /// `"GF+GM>MO; MO+FA>CH"`... where the mother comes second:
    /// `"GF+GM>MO; FA+MO>CH"`.
    ///
    /// ```
    /// let p = reunite_kinship::Pedigree::parse("GF+GM>MO; FA+MO>CH").unwrap();
    /// assert_eq!(p.persons().len(), 5);
    /// ```
    pub fn parse(text: &str) -> Result<Self, PedigreeError> {
        let mut p = Self::default();
        for clause in text.split(';').map(str::trim).filter(|c| !c.is_empty()) {
            let syntax = || PedigreeError::Syntax {
                clause: clause.to_string(),
            };
            let (parents, child) = clause.split_once('>').ok_or_else(syntax)?;
            let (f, m) = parents.split_once('+').ok_or_else(syntax)?;
            let (f, m, c) = (f.trim(), m.trim(), child.trim());
            let ok = |s: &str| !s.is_empty() && !s.contains(['+', '>']);
            if !(ok(f) && ok(m) && ok(c)) {
                return Err(syntax());
            }
            p.add_family(f, m, c)?;
        }
        if p.persons.is_empty() {
            return Err(PedigreeError::Empty);
        }
        Ok(p)
    }
}
