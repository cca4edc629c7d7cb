//! The interface of one entry point as bytes: what a calling contract
//! expects of the contract it calls, checked by the VM at every call
//! between contracts (`docs/host-abi.md`, "Calls between contracts").
//!
//! The compiler writes the bytes for the callee it was compiled against,
//! and the VM makes them from the callee's own ABI document; a call goes
//! ahead only when the two are equal, so a contract never decodes
//! arguments or a result laid out for another interface.
//!
//! Invariant: the bytes describe only what decides the canonical encoding
//! of the arguments and result, and whether the entry point may change
//! state: the kind, then each parameter's shape, then the result's. Names
//! (of parameters, fields, variants, types) are left out, so renaming one
//! breaks no caller; a recursive enum is written once and then referred
//! to by its position, so the bytes are finite.

use crate::document::{ContractAbi, EntryKind, EntryPoint};
use crate::value::{AbiType, Defined, TypeDefs};

/// The bytes of `entry`'s interface, reading named types in `types`.
pub fn interface(entry: &EntryPoint, types: &TypeDefs) -> Vec<u8> {
    let mut writer = Writer { types, out: Vec::new(), seen: Vec::new() };
    writer.out.push(match entry.kind {
        EntryKind::Init => 0,
        EntryKind::Call => 1,
        EntryKind::View => 2,
    });
    writer.count(entry.params.len());
    for param in &entry.params {
        writer.shape(&param.ty);
    }
    writer.shape(&entry.returns);
    writer.out
}

/// Why the contract `found` describes cannot answer every call made
/// through `expected`'s interface: the first of `expected`'s callable entry
/// points it lacks or holds with another interface. `None` when it can.
/// What `writ deploy` checks of an address passed where a contract
/// reference is taken, before the VM checks each call.
pub fn mismatch(expected: &ContractAbi, found: &ContractAbi) -> Option<String> {
    let callable = |e: &&EntryPoint| e.kind != EntryKind::Init && !e.generated;
    for entry in expected.entry_points.iter().filter(callable) {
        let Some(theirs) = found.entry(&entry.name).filter(|e| e.kind != EntryKind::Init) else {
            return Some(format!("it has no entry point `{}`", entry.name));
        };
        if interface(entry, &expected.types) != interface(theirs, &found.types) {
            let what = match (entry.kind, theirs.kind) {
                (EntryKind::View, EntryKind::Call) => "may change state there, where a view is expected",
                (EntryKind::Call, EntryKind::View) => {
                    "is a view there, where an entry point that may change state is expected"
                }
                _ => "takes or returns other types there",
            };
            return Some(format!("`{}` {what}", entry.name));
        }
    }
    None
}

struct Writer<'a> {
    types: &'a TypeDefs,
    out: Vec<u8>,
    /// Named types already written, in the order they were first met.
    seen: Vec<&'a str>,
}

impl<'a> Writer<'a> {
    fn count(&mut self, n: usize) {
        self.out.extend((n as u32).to_be_bytes());
    }

    fn shape(&mut self, ty: &'a AbiType) {
        let tag: u8 = match ty {
            AbiType::Bool => 0,
            AbiType::U8 => 1,
            AbiType::U32 => 2,
            AbiType::U64 => 3,
            AbiType::U128 => 4,
            AbiType::I64 => 5,
            AbiType::I128 => 6,
            AbiType::Decimal => 7,
            AbiType::String => 8,
            AbiType::Bytes => 9,
            AbiType::Hash => 10,
            AbiType::Address => 11,
            AbiType::Timestamp => 12,
            AbiType::Date => 13,
            AbiType::Unit => 14,
            AbiType::Option(inner) => {
                self.out.push(15);
                return self.shape(inner);
            }
            AbiType::List(inner) => {
                self.out.push(16);
                return self.shape(inner);
            }
            AbiType::Map(key, value) => {
                self.out.push(17);
                self.shape(key);
                return self.shape(value);
            }
            AbiType::Tuple(parts) => {
                self.out.push(18);
                self.count(parts.len());
                for part in parts {
                    self.shape(part);
                }
                return;
            }
            AbiType::Named(name) => return self.named(name),
        };
        self.out.push(tag);
    }

    fn named(&mut self, name: &'a str) {
        if let Some(position) = self.seen.iter().position(|seen| *seen == name) {
            self.out.push(19);
            self.count(position);
            return;
        }
        self.seen.push(name);
        match self.types.get(name) {
            Some(Defined::Struct(fields)) => {
                self.out.push(20);
                self.count(fields.len());
                for (_, ty) in fields {
                    self.shape(ty);
                }
            }
            Some(Defined::Enum(variants)) => {
                self.out.push(21);
                self.count(variants.len());
                for (_, fields) in variants {
                    self.count(fields.len());
                    for ty in fields {
                        self.shape(ty);
                    }
                }
            }
            // A document naming a type it does not define matches nothing
            // but the same mistake.
            None => self.out.push(22),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Field;

    fn entry(kind: EntryKind, params: Vec<AbiType>, returns: AbiType) -> EntryPoint {
        EntryPoint {
            name: "f".into(),
            kind,
            params: params.into_iter().map(|ty| Field { name: "p".into(), ty }).collect(),
            returns,
            requires: Vec::new(),
            generated: false,
        }
    }

    #[test]
    fn kinds_and_shapes_are_told_apart_and_names_are_not() {
        let types = TypeDefs::default();
        let view = interface(&entry(EntryKind::View, vec![AbiType::Address], AbiType::Bool), &types);
        assert_eq!(view, vec![2, 0, 0, 0, 1, 11, 0]);
        let call = interface(&entry(EntryKind::Call, vec![AbiType::Address], AbiType::Bool), &types);
        assert_ne!(view, call);
        let wider = interface(&entry(EntryKind::View, vec![AbiType::U64], AbiType::Bool), &types);
        assert_ne!(view, wider);
        let mut renamed = entry(EntryKind::View, vec![AbiType::Address], AbiType::Bool);
        renamed.params[0].name = "who".into();
        assert_eq!(interface(&renamed, &types), view);
    }

    #[test]
    fn a_mismatch_names_the_first_entry_point_that_differs() {
        let contract =
            |entries: Vec<EntryPoint>| ContractAbi { entry_points: entries, ..ContractAbi::empty() };
        let mut is_known = entry(EntryKind::View, vec![AbiType::Address], AbiType::Bool);
        is_known.name = "is_known".into();
        let expected = contract(vec![is_known.clone()]);
        assert_eq!(mismatch(&expected, &contract(vec![is_known.clone()])), None);
        assert_eq!(
            mismatch(&expected, &contract(vec![])),
            Some("it has no entry point `is_known`".to_string())
        );
        let mut counted = is_known.clone();
        counted.returns = AbiType::U64;
        assert_eq!(
            mismatch(&expected, &contract(vec![counted])),
            Some("`is_known` takes or returns other types there".to_string())
        );
        let mut changing = is_known.clone();
        changing.kind = EntryKind::Call;
        assert_eq!(
            mismatch(&expected, &contract(vec![changing])),
            Some("`is_known` may change state there, where a view is expected".to_string())
        );
        // More entry points than the interface names are no mismatch.
        let mut extra = is_known.clone();
        extra.name = "other".into();
        assert_eq!(mismatch(&expected, &contract(vec![extra, is_known])), None);
    }

    #[test]
    fn recursive_enums_are_written_once() {
        let mut types = TypeDefs::default();
        types.enums.insert(
            "Chain".into(),
            vec![("Link".into(), vec![AbiType::Named("Chain".into())]), ("End".into(), vec![])],
        );
        let bytes =
            interface(&entry(EntryKind::Call, vec![AbiType::Named("Chain".into())], AbiType::Unit), &types);
        assert_eq!(bytes, vec![1, 0, 0, 0, 1, 21, 0, 0, 0, 2, 0, 0, 0, 1, 19, 0, 0, 0, 0, 0, 0, 0, 0, 14]);
        let missing =
            interface(&entry(EntryKind::Call, vec![AbiType::Named("Gone".into())], AbiType::Unit), &types);
        assert_eq!(missing, vec![1, 0, 0, 0, 1, 22, 14]);
    }
}
