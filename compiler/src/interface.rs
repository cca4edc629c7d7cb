//! The Writ source of an interface, written from a built contract's ABI
//! document: what lets a contract call one whose source it does not have
//! (`docs/LANGUAGE.md` §9.9, "Interfaces"; `docs/packages.md`).
//!
//! Invariant: the text is a function of the document and is already in
//! `writ fmt`'s form; checked, each entry point's interface bytes
//! (`writ_abi::interface`) equal those the VM makes from the document, so
//! calls compiled against it pass the run-time check. A document that
//! cannot be written as Writ (a name that is not one, a type it names but
//! does not define) is an error naming what, never text that misleads.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use writ_abi::document::{ContractAbi, EntryKind, EntryPoint, Field};
use writ_abi::value::Defined;
use writ_abi::{AbiType, TypeDefs};

/// The source of the interface of the contract `abi` describes, with the
/// structs and enums its entry points use, each declared `pub`.
pub fn interface_source(abi: &ContractAbi) -> Result<String, String> {
    name_ok(&abi.name, "the contract")?;
    // Free text of the document goes into comments: escaped, so a line
    // break in it cannot end the comment and start source.
    let plain = |text: &str| text.escape_debug().to_string();
    let mut out = String::new();
    let _ =
        writeln!(out, "// The interface of `{}`, written by `writ abi --interface` from its ABI:", abi.name);
    let _ = write!(out, "// compiler {}, host ABI {}", plain(&abi.compiler_version), abi.host_abi_version);
    if let Some(package) = &abi.package {
        let _ = write!(out, ", package {} {}", plain(&package.name), plain(&package.version));
    }
    let _ = writeln!(out, ",\n// source SHA-256 {}.", plain(&abi.source_hash));
    // `init` runs only at deployment and the role entry points are the
    // compiler's own: neither is another contract's to call.
    // `init` is written too (unless the compiler made it), for a test to
    // deploy the artifact with its arguments.
    let declared: Vec<_> = abi.entry_points.iter().filter(|e| !e.generated).collect();
    let used = used_types(&declared, &abi.types);
    declared_once(abi, &used)?;
    for (name, fields) in abi.types.structs.iter().filter(|(name, _)| used.contains(name.as_str())) {
        let _ = writeln!(out, "\npub struct {name} {{");
        for (field, ty) in fields {
            name_ok(field, "a field")?;
            let _ = writeln!(out, "    {field}: {},", type_text(ty, &abi.types)?);
        }
        out.push_str("}\n");
    }
    for (name, variants) in abi.types.enums.iter().filter(|(name, _)| used.contains(name.as_str())) {
        if is_builtin_rounding(name, variants) {
            continue;
        }
        let _ = writeln!(out, "\npub enum {name} {{");
        for (variant, fields) in variants {
            name_ok(variant, "a variant")?;
            if fields.is_empty() {
                let _ = writeln!(out, "    {variant},");
            } else {
                let types: Vec<String> =
                    fields.iter().map(|t| type_text(t, &abi.types)).collect::<Result<_, _>>()?;
                let _ = writeln!(out, "    {variant}({}),", types.join(", "));
            }
        }
        out.push_str("}\n");
    }
    // Roles keep their positions (a role crosses as its index): `Admin`
    // first, as every contract has it, then the others in order.
    let (admin, roles) = abi.roles.split_first().map_or((None, &[][..]), |(a, r)| (Some(a), r));
    if admin.is_some_and(|a| a != "Admin") {
        return Err("the document's first role is not `Admin`".to_string());
    }
    for role in roles {
        name_ok(role, "a role")?;
        // Inside the interface a role's name would hide a type's.
        if role == "Admin" || abi.types.get(role).is_some() || *role == abi.name {
            return Err(format!("the role `{role}` is named like another declaration"));
        }
    }
    let _ = writeln!(out, "\npub interface {} {{", abi.name);
    if !roles.is_empty() {
        let _ = writeln!(out, "    roles {{ {} }}\n", roles.join(", "));
    }
    for entry in declared {
        if entry.kind != EntryKind::Init {
            name_ok(&entry.name, "an entry point")?;
        }
        if let Some(role) = entry.requires.iter().find(|r| !abi.roles.contains(r)) {
            return Err(format!(
                "`{}` requires the role `{}`, which the document does not list",
                entry.name,
                role.escape_debug()
            ));
        }
        let requires = match entry.requires.as_slice() {
            [] => String::new(),
            roles => format!(" requires {}", roles.join(" | ")),
        };
        let params = entry.params.iter().map(|p| param_text(p, &abi.types)).collect::<Result<Vec<_>, _>>()?;
        if entry.kind == EntryKind::Init {
            if !entry.requires.is_empty() {
                return Err("the document's `init` requires roles, which Writ cannot declare".to_string());
            }
            let _ = writeln!(out, "    init({});", params.join(", "));
            continue;
        }
        let keyword = if entry.kind == EntryKind::View { "pub view fn" } else { "pub fn" };
        let ret = match &entry.returns {
            AbiType::Unit => String::new(),
            ty => format!(" -> {}", type_text(ty, &abi.types)?),
        };
        let _ = writeln!(out, "    {keyword} {}({}){ret}{requires};", entry.name, params.join(", "));
    }
    out.push_str("}\n");
    // The formatter decides the layout, so the text is what `writ fmt` keeps.
    crate::format::format_source(crate::FileId(0), &out).map_err(|errors| {
        let first = errors.first().map_or_else(String::new, |d| d.message.clone());
        format!("the document does not make a Writ interface: {first}")
    })
}

/// Refuses a document whose interface would declare one name twice (the
/// contract and a type, or a struct and an enum), or a type named like a
/// built-in one: the text would not check, or would mean other types.
fn declared_once(abi: &ContractAbi, used: &BTreeSet<&str>) -> Result<(), String> {
    let structs = abi.types.structs.keys().filter(|n| used.contains(n.as_str()));
    let enums = abi
        .types
        .enums
        .iter()
        .filter(|(n, variants)| used.contains(n.as_str()) && !is_builtin_rounding(n, variants))
        .map(|(n, _)| n);
    let mut seen = BTreeSet::from([abi.name.as_str()]);
    if crate::builtins::type_named(&abi.name).is_some() {
        return Err(format!("the contract is named `{}`, like a built-in type", abi.name));
    }
    for name in structs.chain(enums) {
        name_ok(name, "a type")?;
        if crate::builtins::type_named(name).is_some() {
            return Err(format!("a type is named `{name}`, like a built-in type"));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!(
                "the name `{name}` is given to two declarations (the contract or its types)"
            ));
        }
    }
    Ok(())
}

/// The named types the entry points' parameters and results reach; the
/// document also defines those only its storage, events and errors use.
fn used_types<'a>(entries: &[&'a EntryPoint], types: &'a TypeDefs) -> BTreeSet<&'a str> {
    let mut pending: Vec<&AbiType> =
        entries.iter().flat_map(|e| e.params.iter().map(|p| &p.ty).chain([&e.returns])).collect();
    let mut used = BTreeSet::new();
    while let Some(ty) = pending.pop() {
        match ty {
            AbiType::Option(inner) | AbiType::List(inner) => pending.push(inner),
            AbiType::Map(key, value) => pending.extend([&**key, &**value]),
            AbiType::Tuple(parts) => pending.extend(parts),
            AbiType::Named(name) if used.insert(name.as_str()) => match types.get(name) {
                Some(Defined::Struct(fields)) => pending.extend(fields.iter().map(|(_, ty)| ty)),
                Some(Defined::Enum(variants)) => pending.extend(variants.iter().flat_map(|(_, f)| f)),
                None => {}
            },
            _ => {}
        }
    }
    used
}

fn param_text(field: &Field, types: &TypeDefs) -> Result<String, String> {
    name_ok(&field.name, "a parameter")?;
    Ok(format!("{}: {}", field.name, type_text(&field.ty, types)?))
}

/// How `ty` is written in source.
fn type_text(ty: &AbiType, types: &TypeDefs) -> Result<String, String> {
    Ok(match ty {
        AbiType::Bool => "bool".into(),
        AbiType::U8 => "u8".into(),
        AbiType::U32 => "u32".into(),
        AbiType::U64 => "u64".into(),
        AbiType::U128 => "u128".into(),
        AbiType::I64 => "i64".into(),
        AbiType::I128 => "i128".into(),
        AbiType::Decimal => "Decimal".into(),
        AbiType::String => "String".into(),
        AbiType::Bytes => "Bytes".into(),
        AbiType::Hash => "Hash".into(),
        AbiType::Address => "Address".into(),
        AbiType::Timestamp => "Timestamp".into(),
        AbiType::Date => "Date".into(),
        AbiType::Unit => "()".into(),
        AbiType::Option(inner) => format!("Option<{}>", type_text(inner, types)?),
        AbiType::List(inner) => format!("List<{}>", type_text(inner, types)?),
        AbiType::Map(key, value) => format!("Map<{}, {}>", type_text(key, types)?, type_text(value, types)?),
        AbiType::Tuple(parts) => {
            let parts: Vec<String> = parts.iter().map(|p| type_text(p, types)).collect::<Result<_, _>>()?;
            match parts.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", parts.join(", ")),
            }
        }
        AbiType::Named(name) => {
            if types.get(name).is_none() {
                return Err(format!("the document names the type `{name}` but does not define it"));
            }
            name.clone()
        }
    })
}

/// The document's description of the built-in `Rounding` (`abi_doc`).
fn is_builtin_rounding(name: &str, variants: &[(String, Vec<AbiType>)]) -> bool {
    name == "Rounding"
        && variants.len() == crate::check::ROUNDING_MODES.len()
        && variants.iter().zip(crate::check::ROUNDING_MODES).all(|((v, f), m)| v == m && f.is_empty())
}

/// Whether `name` can be written as a Writ name.
fn name_ok(name: &str, what: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    // `from` is a keyword only after `deploy C(...)`; elsewhere a name.
    if shaped && (!crate::lexer::is_keyword(name) || name == "from") {
        Ok(())
    } else {
        Err(format!("{what} is named `{}`, which is not a Writ name", name.escape_debug()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abi(entry_points: Vec<EntryPoint>, types: TypeDefs) -> ContractAbi {
        ContractAbi { name: "Registry".into(), entry_points, types, ..ContractAbi::empty() }
    }

    fn entry(name: &str, kind: EntryKind, params: Vec<(&str, AbiType)>, returns: AbiType) -> EntryPoint {
        EntryPoint {
            name: name.into(),
            kind,
            params: params.into_iter().map(|(n, ty)| Field { name: n.into(), ty }).collect(),
            returns,
            requires: Vec::new(),
            generated: false,
        }
    }

    #[test]
    fn names_that_are_not_writ_names_are_refused() {
        let bad = abi(vec![entry("fn", EntryKind::Call, vec![], AbiType::Unit)], TypeDefs::default());
        assert_eq!(
            interface_source(&bad).err().as_deref(),
            Some("an entry point is named `fn`, which is not a Writ name")
        );
        let spaced = abi(
            vec![entry("ok", EntryKind::View, vec![("a b", AbiType::U8)], AbiType::Unit)],
            TypeDefs::default(),
        );
        assert_eq!(
            interface_source(&spaced).err().as_deref(),
            Some("a parameter is named `a b`, which is not a Writ name")
        );
        let mut injected =
            abi(vec![entry("ok", EntryKind::View, vec![], AbiType::Unit)], TypeDefs::default());
        injected.compiler_version = "1\npub interface Extra { pub fn stolen(); }\n//".into();
        let text = interface_source(&injected).unwrap_or_else(|e| panic!("{e}"));
        assert!(!text.contains("\npub interface Extra"), "{text}");
        injected.roles = vec!["Admin".into(), "A\npub fn x();".into()];
        assert_eq!(
            interface_source(&injected).err().as_deref(),
            Some("a role is named `A\\npub fn x();`, which is not a Writ name")
        );
        let mut twice = TypeDefs::default();
        twice.structs.insert("Registry".into(), vec![]);
        let clash = abi(vec![entry("ok", EntryKind::View, vec![], AbiType::Named("Registry".into()))], twice);
        assert_eq!(
            interface_source(&clash).err().as_deref(),
            Some("the name `Registry` is given to two declarations (the contract or its types)")
        );
        let mut dated = TypeDefs::default();
        dated.structs.insert("Date".into(), vec![]);
        let builtin = abi(vec![entry("ok", EntryKind::View, vec![], AbiType::Named("Date".into()))], dated);
        assert_eq!(
            interface_source(&builtin).err().as_deref(),
            Some("a type is named `Date`, like a built-in type")
        );
        let undefined = abi(
            vec![entry("ok", EntryKind::View, vec![], AbiType::Named("Gone".into()))],
            TypeDefs::default(),
        );
        assert_eq!(
            interface_source(&undefined).err().as_deref(),
            Some("the document names the type `Gone` but does not define it")
        );
    }

    #[test]
    fn generated_entry_points_are_left_out_and_init_is_kept() {
        let mut granted = entry("grant_role", EntryKind::Call, vec![], AbiType::Unit);
        granted.generated = true;
        granted.requires = vec!["Admin".into()];
        let init = entry("init", EntryKind::Init, vec![("limit", AbiType::U64)], AbiType::Unit);
        let mut enrol = entry("enrol", EntryKind::Call, vec![("who", AbiType::Address)], AbiType::Unit);
        enrol.requires = vec!["Clerk".into(), "Admin".into()];
        let mut document = abi(
            vec![
                init,
                entry("status", EntryKind::View, vec![("who", AbiType::Address)], AbiType::Bool),
                enrol,
                granted,
            ],
            TypeDefs::default(),
        );
        document.roles = vec!["Admin".into(), "Clerk".into()];
        let text = interface_source(&document).unwrap_or_else(|e| panic!("{e}"));
        let body = "pub interface Registry {\n    roles { Clerk }\n\n    init(limit: u64);\n    pub view fn status(who: Address) -> bool;\n    pub fn enrol(who: Address) requires Clerk | Admin;\n}\n";
        assert!(text.ends_with(body), "{text}");
        // A role a requirement names must be one the document lists, and
        // `Admin` comes first, as roles cross as their positions.
        document.roles = vec!["Admin".into()];
        assert_eq!(
            interface_source(&document).err().as_deref(),
            Some("`enrol` requires the role `Clerk`, which the document does not list")
        );
        document.roles = vec!["Clerk".into(), "Admin".into()];
        assert_eq!(
            interface_source(&document).err().as_deref(),
            Some("the document's first role is not `Admin`")
        );
    }
}
