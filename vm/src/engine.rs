//! The one place the wasmtime `Config` is built. Every knob is set here,
//! explicitly, with the reason; nothing relies on wasmtime's defaults, so an
//! upgrade cannot silently change what contracts compute.
//!
//! Invariant: two engines built by `engine_config` on the same architecture
//! run the same module to the same result, gas and abort.

use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Strategy, WasmFeatures,
};

use crate::limits;

/// How instances get their memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAllocation {
    /// Memory is mapped when an instance is made and unmapped when it is
    /// dropped. No fixed reservation; right for tests and tools.
    OnDemand,
    /// Slots for this many live instances are reserved up front and reused
    /// (faster instantiation, a fixed virtual-memory reservation).
    Pooling { instances: u32 },
}

/// Builds the deterministic configuration and the engine.
pub fn engine(allocation: InstanceAllocation) -> Result<Engine, wasmtime::Error> {
    Engine::new(&engine_config(allocation))
}

/// The deterministic wasmtime configuration.
pub fn engine_config(allocation: InstanceAllocation) -> Config {
    let mut config = Config::new();
    config
        // Cranelift is the only compiler we run; naming it keeps a future
        // default (Winch, Pulley) from changing native code under us.
        .strategy(Strategy::Cranelift)
        // Optimise for speed: code is compiled once per code hash and run
        // many times. Opt level changes speed, never results or fuel
        // (fuel is counted on Wasm operators, before optimisation).
        .cranelift_opt_level(OptLevel::Speed)
        // Fuel is how gas is metered; without it a loop never ends.
        .consume_fuel(true)
        // Fuel is the only interruption: an epoch deadline depends on wall
        // time, which differs between nodes.
        .epoch_interruption(false)
        // Validation refuses floats, but canonical NaNs are still the safe
        // setting should a float ever reach the compiler.
        .cranelift_nan_canonicalization(true)
        // Wasm proposals: only what the compiler emits and nothing whose
        // results can differ between machines.
        // Threads (shared memory, atomics) are not even compiled in: the
        // crate's `threads` feature is off.
        .wasm_simd(false) // not emitted; keeps float lanes out
        .wasm_relaxed_simd(false) // explicitly machine-dependent results
        .wasm_memory64(false) // one 32-bit memory is the ABI
        .wasm_multi_memory(false) // one memory is the ABI
        .wasm_gc(false) // not emitted
        .wasm_stack_switching(false) // not emitted
        .wasm_tail_call(false) // not emitted; keeps stack accounting simple
        .wasm_custom_page_sizes(false) // the page size is fixed at 64 KiB
        // 64 x 64 -> 128-bit multiplication and 128-bit add/sub: integer
        // only, exact, compiled to the machine's own instructions; Decimal
        // multiplication uses them.
        .wasm_wide_arithmetic(true)
        .wasm_extended_const(false) // not emitted
        .wasm_bulk_memory(true) // memory.copy/fill: deterministic and fast
        .wasm_multi_value(true) // harmless; the compiler may return pairs
        // Deep recursion stops here with a stack-limit abort.
        .max_wasm_stack(limits::STACK_BYTES_MAX)
        // A 4 GiB reservation lets Cranelift drop bounds checks on 32-bit
        // memories; the memory itself never grows past `MEMORY_BYTES_MAX`
        // (the store's limiter refuses). The guard catches large offsets.
        .memory_reservation(4 << 30)
        .memory_guard_size(32 << 20)
        .memory_may_move(false)
        .memory_reservation_for_growth(0)
        .guard_before_linear_memory(true)
        // Fresh instances map data segments copy-on-write: cheap to make.
        .memory_init_cow(true)
        // Traps are caught with signal handlers (no explicit checks in code).
        .signals_based_traps(true)
        // A trap's Wasm backtrace is never shown to anyone (outcomes hold no
        // dumps), so do not pay for collecting it.
        .wasm_backtrace_max_frames(None)
        .generate_address_map(false)
        // Tables are small; initialise them eagerly so a call's cost does
        // not depend on which indirect calls ran before.
        .table_lazy_init(false);
    // Proposals whose setters exist only with crate features we leave off
    // (`gc`, `component-model`): switched off through the generic setter.
    config.wasm_features(
        WasmFeatures::REFERENCE_TYPES // not emitted; MVP tables suffice
            | WasmFeatures::FUNCTION_REFERENCES // needs GC types; not emitted
            | WasmFeatures::EXCEPTIONS // aborts go through the host
            | WasmFeatures::COMPONENT_MODEL, // contracts are core modules
        false,
    );
    config.allocation_strategy(allocation_strategy(allocation));
    config
}

fn allocation_strategy(allocation: InstanceAllocation) -> InstanceAllocationStrategy {
    match allocation {
        InstanceAllocation::OnDemand => InstanceAllocationStrategy::OnDemand,
        InstanceAllocation::Pooling { instances } => {
            let mut pool = PoolingAllocationConfig::new();
            pool.total_core_instances(instances)
                .total_memories(instances)
                .total_tables(instances)
                .max_memories_per_module(1)
                .max_tables_per_module(1)
                .max_memory_size(limits::MEMORY_BYTES_MAX as usize)
                .table_elements(limits::TABLE_ELEMENTS_MAX as usize);
            InstanceAllocationStrategy::Pooling(pool)
        }
    }
}
