//! The ABI document of a contract, built from the checker's tables.
//!
//! Invariant: only types the back end can encode appear; anything else is
//! reported by the caller before a document is made.

use writ_abi::document::{ContractAbi, EntryKind, EntryPoint, Field, Record};
use writ_abi::{AbiType, TypeDefs};

use crate::ast::FnKind;
use crate::types::{ContractId, FieldInfo, IntTy, Tables, Ty};

/// The ABI spelling of a type, if it has one.
pub fn abi_type(tables: &Tables, ty: &Ty) -> Option<AbiType> {
    Some(match ty {
        Ty::Bool => AbiType::Bool,
        Ty::Int(IntTy::U8) => AbiType::U8,
        Ty::Int(IntTy::U32) => AbiType::U32,
        Ty::Int(IntTy::U64) => AbiType::U64,
        Ty::Int(IntTy::U128) => AbiType::U128,
        Ty::Int(IntTy::I64) => AbiType::I64,
        Ty::Int(IntTy::I128) => AbiType::I128,
        Ty::Decimal => AbiType::Decimal,
        Ty::String => AbiType::String,
        Ty::Bytes => AbiType::Bytes,
        Ty::Hash => AbiType::Hash,
        // A contract reference crosses as the contract's address.
        Ty::Address | Ty::Ref(_) => AbiType::Address,
        Ty::Timestamp => AbiType::Timestamp,
        Ty::Date => AbiType::Date,
        Ty::Unit => AbiType::Unit,
        Ty::Option(t) => AbiType::Option(Box::new(abi_type(tables, t)?)),
        Ty::List(t) => AbiType::List(Box::new(abi_type(tables, t)?)),
        Ty::Map(k, v) => AbiType::Map(Box::new(abi_type(tables, k)?), Box::new(abi_type(tables, v)?)),
        Ty::Tuple(parts) => AbiType::Tuple(parts.iter().map(|p| abi_type(tables, p)).collect::<Option<_>>()?),
        Ty::Struct(id) => AbiType::Named(tables.struct_info(*id)?.name.clone()),
        Ty::Enum(id) => AbiType::Named(tables.enum_info(*id)?.name.clone()),
        Ty::Role(_) => AbiType::U32,
        // The built-in enum, described in the document like a user's one
        // (`type_defs_of`): its encoding is the mode's index.
        Ty::Rounding => AbiType::Named("Rounding".into()),
        Ty::Never | Ty::Handle(_) | Ty::Error => return None,
    })
}

fn fields(tables: &Tables, list: &[FieldInfo]) -> Vec<Field> {
    list.iter()
        .map(|f| Field { name: f.name.clone(), ty: abi_type(tables, &f.ty).unwrap_or(AbiType::Unit) })
        .collect()
}

/// The document for contract `cid`.
pub fn document(tables: &Tables, cid: ContractId, source_hash: &str) -> Option<ContractAbi> {
    let contract = tables.contract(cid)?;
    let role_names = |indexes: &[u32]| -> Vec<String> {
        indexes.iter().filter_map(|i| contract.roles.get(*i as usize).map(|r| r.name.clone())).collect()
    };
    let mut entry_points = Vec::new();
    for id in contract.init.iter().chain(contract.fns.iter()) {
        let f = tables.fn_info(*id)?;
        let kind = match f.kind {
            FnKind::Init => EntryKind::Init,
            FnKind::Entry => EntryKind::Call,
            FnKind::View => EntryKind::View,
            FnKind::Private => continue,
        };
        entry_points.push(EntryPoint {
            name: f.name.clone(),
            kind,
            params: fields(tables, &f.params),
            returns: abi_type(tables, &f.ret).unwrap_or(AbiType::Unit),
            requires: role_names(&f.requires),
            generated: false,
        });
    }
    if contract.init.is_none() {
        entry_points.insert(0, generated("init", EntryKind::Init, vec![], AbiType::Unit, vec![]));
    }
    let role_param = |name: &str| Field { name: name.into(), ty: AbiType::U32 };
    let addr = Field { name: "account".into(), ty: AbiType::Address };
    let admin = vec!["Admin".to_string()];
    entry_points.push(generated(
        "grant_role",
        EntryKind::Call,
        vec![role_param("role"), addr.clone()],
        AbiType::Unit,
        admin.clone(),
    ));
    entry_points.push(generated(
        "revoke_role",
        EntryKind::Call,
        vec![role_param("role"), addr.clone()],
        AbiType::Unit,
        admin,
    ));
    entry_points.push(generated(
        "has_role",
        EntryKind::View,
        vec![role_param("role"), addr],
        AbiType::Bool,
        vec![],
    ));
    let record =
        |r: &crate::types::RecordInfo| Record { name: r.name.clone(), fields: fields(tables, &r.fields) };
    Some(ContractAbi {
        name: contract.name.clone(),
        host_abi_version: writ_abi::host::HOST_ABI_VERSION,
        compiler_version: super::COMPILER_VERSION.to_string(),
        source_hash: source_hash.to_string(),
        package: None,
        roles: contract.roles.iter().map(|r| r.name.clone()).collect(),
        entry_points,
        events: contract.events.iter().map(record).collect(),
        errors: contract.errors.iter().map(record).collect(),
        storage: fields(tables, &contract.storage),
        types: type_defs(tables, contract),
    })
}

/// A parameter of a contract's `init` that takes a reference to another
/// contract: what `writ deploy` checks the address passed for it against.
#[derive(Debug, Clone)]
pub struct InitReference {
    /// Its position among the parameters and its name.
    pub index: usize,
    pub name: String,
    /// The contract or interface it refers to, and that one's document.
    pub expects: String,
    pub document: ContractAbi,
}

/// The parameters of contract `cid`'s `init` that are contract references.
pub fn init_references(tables: &Tables, cid: ContractId) -> Vec<InitReference> {
    let Some(init) = tables.contract(cid).and_then(|c| c.init).and_then(|id| tables.fn_info(id)) else {
        return Vec::new();
    };
    init.params
        .iter()
        .enumerate()
        .filter_map(|(index, param)| {
            let Ty::Ref(target) = param.ty else { return None };
            Some(InitReference {
                index,
                name: param.name.clone(),
                expects: tables.contract(target)?.name.clone(),
                document: document(tables, target, "")?,
            })
        })
        .collect()
}

/// A name two different structs or enums of contract `cid`'s document
/// share, if any: the document names types by name alone, so it would
/// describe one of them for both, and callers and the VM would agree on
/// an encoding that is not the contract's.
pub fn type_name_clash(tables: &Tables, cid: ContractId) -> Option<String> {
    let contract = tables.contract(cid)?;
    walk_types(tables, pending_types(tables, contract)).1
}

/// The definitions of every struct and enum the document mentions, found
/// by walking the types of entry points, events, errors and storage.
fn type_defs(tables: &Tables, contract: &crate::types::ContractInfo) -> TypeDefs {
    type_defs_of(tables, pending_types(tables, contract))
}

fn pending_types(tables: &Tables, contract: &crate::types::ContractInfo) -> Vec<Ty> {
    let mut pending: Vec<Ty> = Vec::new();
    for id in contract.init.iter().chain(contract.fns.iter()) {
        if let Some(f) = tables.fn_info(*id).filter(|f| f.kind != FnKind::Private) {
            pending.extend(f.params.iter().map(|p| p.ty.clone()));
            pending.push(f.ret.clone());
        }
    }
    for record in contract.events.iter().chain(contract.errors.iter()) {
        pending.extend(record.fields.iter().map(|f| f.ty.clone()));
    }
    pending.extend(contract.storage.iter().map(|f| f.ty.clone()));
    pending
}

/// The definitions of every struct and enum reachable from `pending`.
pub fn type_defs_of(tables: &Tables, pending: Vec<Ty>) -> TypeDefs {
    walk_types(tables, pending).0
}

/// `type_defs_of`, and the first name two different types reached share.
fn walk_types(tables: &Tables, mut pending: Vec<Ty>) -> (TypeDefs, Option<String>) {
    let mut defs = TypeDefs::default();
    let mut owners: std::collections::BTreeMap<String, Ty> = std::collections::BTreeMap::new();
    let mut clash = None;
    while let Some(ty) = pending.pop() {
        let name = match &ty {
            Ty::Struct(id) => tables.struct_info(*id).map(|s| s.name.clone()),
            Ty::Enum(id) => tables.enum_info(*id).map(|e| e.name.clone()),
            _ => None,
        };
        if let Some(name) = name {
            match owners.get(&name) {
                Some(owner) if *owner != ty => {
                    clash.get_or_insert(name);
                    continue;
                }
                Some(_) => continue,
                None => {
                    owners.insert(name, ty.clone());
                }
            }
        }
        match &ty {
            Ty::Option(t) | Ty::List(t) => pending.push((**t).clone()),
            Ty::Map(k, v) => pending.extend([(**k).clone(), (**v).clone()]),
            Ty::Tuple(parts) => pending.extend(parts.iter().cloned()),
            Ty::Rounding => {
                let modes =
                    crate::check::ROUNDING_MODES.iter().map(|m| (m.to_string(), Vec::new())).collect();
                defs.enums.insert("Rounding".into(), modes);
            }
            Ty::Struct(id) => {
                if let Some(info) = tables.struct_info(*id)
                    && !defs.structs.contains_key(&info.name)
                {
                    defs.structs.insert(info.name.clone(), fields_of(tables, &info.fields));
                    pending.extend(info.fields.iter().map(|f| f.ty.clone()));
                }
            }
            Ty::Enum(id) => {
                if let Some(info) = tables.enum_info(*id)
                    && !defs.enums.contains_key(&info.name)
                {
                    let variants = info
                        .variants
                        .iter()
                        .map(|v| {
                            (v.name.clone(), v.fields.iter().filter_map(|t| abi_type(tables, t)).collect())
                        })
                        .collect();
                    defs.enums.insert(info.name.clone(), variants);
                    pending.extend(info.variants.iter().flat_map(|v| v.fields.iter().cloned()));
                }
            }
            _ => {}
        }
    }
    (defs, clash)
}

fn fields_of(tables: &Tables, list: &[FieldInfo]) -> Vec<(String, AbiType)> {
    list.iter().map(|f| (f.name.clone(), abi_type(tables, &f.ty).unwrap_or(AbiType::Unit))).collect()
}

fn generated(
    name: &str,
    kind: EntryKind,
    params: Vec<Field>,
    returns: AbiType,
    requires: Vec<String>,
) -> EntryPoint {
    EntryPoint { name: name.into(), kind, params, returns, requires, generated: true }
}
