//! The runtime helpers every compiled module carries: the bump allocator
//! and its reset, aborts, byte swaps for big-endian encodings, byte
//! comparison and copy, role keys, and 128-bit Decimal arithmetic.
//!
//! Invariant: helpers never read memory they did not allocate or receive,
//! and out-of-memory ends the call with `ResourceLimit`, never a wrap.

use std::convert::Infallible;

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::{self, AbortCode};

use super::core::{Compiled, Ctx, HEAP, MEMORY_PAGES_MAX, Runtime, finish};
use super::core::{FnCompiler, mem};

/// The body of a runtime helper.
pub(super) fn runtime_function(ctx: &mut Ctx<'_>, r: Runtime) -> Compiled {
    let mut f = FnCompiler::new(ctx);
    let results = match r {
        Runtime::Alloc => {
            f.params = vec![ValType::I32];
            let (ptr, end) = (f.temp(ValType::I32), f.temp(ValType::I32));
            wasm!(f;
                global.get(HEAP) i32.const(7) i32.add i32.const(-8) i32.and local.tee(ptr)
                local.get(0) i32.add local.tee(end)
            );
            // Past the memory this module may ever have (or wrapped): out of memory.
            wasm!(f;
                i32.const((MEMORY_PAGES_MAX * 65536) as i32) i32.gt_u local.get(end) local.get(ptr) i32.lt_u i32.or
            );
            f.abort_if(AbortCode::ResourceLimit);
            wasm!(f;
                local.get(end) memory.size(0) i32.const(16) i32.shl i32.gt_u if(BlockType::Empty)
                local.get(end) i32.const(65535) i32.add i32.const(16) i32.shr_u memory.size(0)
                i32.sub memory.grow(0) i32.const(-1) i32.eq
            );
            f.abort_if(AbortCode::ResourceLimit);
            wasm!(f;
                end local.get(end) global.set(HEAP) local.get(ptr)
            );
            vec![ValType::I32]
        }
        Runtime::Reset => {
            // Patched with the real heap base when the module is assembled.
            f.emit(I::I32Const(0));
            f.emit(I::GlobalSet(HEAP));
            vec![]
        }
        Runtime::Trap => {
            f.params = vec![ValType::I32];
            wasm!(f;
                local.get(0) i32.const(0) i32.const(0)
            );
            f.call_host("abort");
            f.emit(I::Unreachable);
            vec![]
        }
        Runtime::Bswap32 => {
            f.params = vec![ValType::I32];
            for (shift, mask, left) in
                [(24u32, 0xFFu32, false), (8, 0xFF00, false), (8, 0xFF_0000, true), (24, 0xFF00_0000, true)]
            {
                f.emit(I::LocalGet(0));
                f.emit(I::I32Const(shift as i32));
                f.emit(if left { I::I32Shl } else { I::I32ShrU });
                f.emit(I::I32Const(mask as i32));
                f.emit(I::I32And);
            }
            wasm!(f;
                i32.or i32.or i32.or
            );
            vec![ValType::I32]
        }
        Runtime::Bswap64 => {
            f.params = vec![ValType::I64];
            let parts: [(i64, u64, bool); 8] = [
                (56, 0xFF, false),
                (40, 0xFF00, false),
                (24, 0xFF_0000, false),
                (8, 0xFF00_0000, false),
                (8, 0xFF_0000_0000, true),
                (24, 0xFF00_0000_0000, true),
                (40, 0xFF_0000_0000_0000, true),
                (56, 0xFF00_0000_0000_0000, true),
            ];
            for (shift, mask, left) in parts {
                f.emit(I::LocalGet(0));
                f.emit(I::I64Const(shift));
                f.emit(if left { I::I64Shl } else { I::I64ShrU });
                f.emit(I::I64Const(mask as i64));
                f.emit(I::I64And);
            }
            for _ in 0..7 {
                f.emit(I::I64Or);
            }
            vec![ValType::I64]
        }
        Runtime::MemEq => {
            // (a, b, len) -> 1 if the bytes are equal.
            f.params = vec![ValType::I32, ValType::I32, ValType::I32];
            let i = f.temp(ValType::I32);
            let Ok(()) = f.while_below::<Infallible>(i, 2, |f, _| {
                wasm!(f;
                    local.get(0) local.get(i) i32.add i32.load8_u(mem(0, 0)) local.get(1) local.get(i)
                    i32.add i32.load8_u(mem(0, 0)) i32.ne if(BlockType::Empty) i32.const(0) return
                    end
                );
                f.increment(i);
                Ok(())
            });
            f.emit(I::I32Const(1));
            vec![ValType::I32]
        }
        Runtime::Copy => {
            // (dst, src, len)
            f.params = vec![ValType::I32, ValType::I32, ValType::I32];
            wasm!(f;
                local.get(0) local.get(1) local.get(2)
            );
            f.emit(I::MemoryCopy { src_mem: 0, dst_mem: 0 });
            vec![]
        }
        Runtime::DecAdd | Runtime::DecSub | Runtime::DecCmp | Runtime::DecEncode | Runtime::DecDecode => {
            decimal_runtime(&mut f, r)
        }
        Runtime::DecMul => decimal_mul(&mut f),
        Runtime::DecRound => decimal_round(&mut f),
        Runtime::ListGrow => {
            // (list) -> a list with room for one more element: the same
            // block while its capacity (the header's second word, only
            // kept for lists a function owns alone) allows, else a copy
            // with twice the room (at least 4).
            f.params = vec![ValType::I32];
            let (count, room, grown) = (f.temp(ValType::I32), f.temp(ValType::I32), f.temp(ValType::I32));
            wasm!(f;
                local.get(0) i32.load(mem(0, 0)) local.tee(count) local.get(0) i32.load(mem(4, 0)) i32.lt_u
                if(BlockType::Empty) local.get(0) return end
            );
            // The count is bounded by memory (64 MiB / 8), so doubling and
            // the byte size below cannot wrap.
            wasm!(f;
                local.get(count) i32.const(1) i32.shl local.tee(room) i32.const(4) i32.lt_u
                if(BlockType::Empty) i32.const(4) local.set(room) end
            );
            f.list_bytes(room);
            f.call_rt(Runtime::Alloc);
            f.emit(I::LocalTee(grown));
            f.emit(I::LocalGet(0));
            f.list_bytes(count);
            f.call_rt(Runtime::Copy);
            wasm!(f;
                local.get(grown) local.get(room) i32.store(mem(4, 0)) local.get(grown)
            );
            vec![ValType::I32]
        }
        Runtime::U128Add
        | Runtime::U128Sub
        | Runtime::U128Cmp
        | Runtime::U128Encode
        | Runtime::U128Decode => u128_runtime(&mut f, r),
        Runtime::DateFromYmd | Runtime::DateParts => date_runtime(&mut f, r),
        Runtime::MemCmp | Runtime::KeyUnescape => key_runtime(&mut f, r),
        Runtime::KeyEscape | Runtime::BytesEq | Runtime::BytesCmp | Runtime::Concat => {
            bytes_runtime(&mut f, r)
        }
        Runtime::HasRole | Runtime::SetRole => {
            // (role, address ptr[, present]) builds `0x02 ++ role ++ address`.
            f.params = if r == Runtime::HasRole {
                vec![ValType::I32, ValType::I32]
            } else {
                vec![ValType::I32, ValType::I32, ValType::I32]
            };
            let key = f.temp(ValType::I32);
            f.emit(I::I32Const(25));
            f.call_rt(Runtime::Alloc);
            wasm!(f;
                local.tee(key) i32.const(i32::from(host::keys::ROLE)) i32.store8(mem(0, 0)) local.get(key) local.get(0)
            );
            f.call_rt(Runtime::Bswap32);
            wasm!(f;
                i32.store(mem(1, 0)) local.get(key) i32.const(5) i32.add local.get(1) i32.const(20)
            );
            f.call_rt(Runtime::Copy);
            if r == Runtime::HasRole {
                f.emit(I::LocalGet(key));
                f.emit(I::I32Const(25));
                f.call_host("storage_read");
                f.emit(I::I32Const(-1));
                f.emit(I::I32Ne);
                vec![ValType::I32]
            } else {
                // Present: an empty value under the key; absent: no key.
                wasm!(f;
                    local.get(2) if(BlockType::Empty) local.get(key) i32.const(25) local.get(key) i32.const(0)
                );
                f.call_host("storage_write");
                wasm!(f;
                    else local.get(key) i32.const(25)
                );
                f.call_host("storage_remove");
                f.emit(I::End);
                vec![]
            }
        }
    };
    finish(f, results)
}

/// The 128-bit helpers for Decimals held as 16 little-endian bytes.
fn decimal_runtime(f: &mut FnCompiler<'_, '_>, r: Runtime) -> Vec<ValType> {
    let lo = |f: &mut FnCompiler<'_, '_>, p: u32| {
        f.emit(I::LocalGet(p));
        f.emit(I::I64Load(mem(0, 0)));
    };
    let hi = |f: &mut FnCompiler<'_, '_>, p: u32| {
        f.emit(I::LocalGet(p));
        f.emit(I::I64Load(mem(8, 0)));
    };
    match r {
        Runtime::DecAdd | Runtime::DecSub => {
            // (a, b) -> fresh a ± b; aborts on overflow.
            f.params = vec![ValType::I32, ValType::I32];
            let (l, h, out) = (f.temp(ValType::I64), f.temp(ValType::I64), f.temp(ValType::I32));
            let add = r == Runtime::DecAdd;
            lo(f, 0);
            lo(f, 1);
            f.emit(if add { I::I64Add } else { I::I64Sub });
            f.emit(I::LocalSet(l));
            hi(f, 0);
            hi(f, 1);
            f.emit(if add { I::I64Add } else { I::I64Sub });
            // Carry: the low sum wrapped below a; borrow: a's low part was smaller.
            if add {
                f.emit(I::LocalGet(l));
                lo(f, 0);
                f.emit(I::I64LtU);
            } else {
                lo(f, 0);
                lo(f, 1);
                f.emit(I::I64LtU);
            }
            f.emit(I::I64ExtendI32U);
            f.emit(if add { I::I64Add } else { I::I64Sub });
            f.emit(I::LocalSet(h));
            // Signed overflow of the high word, as for 64-bit integers.
            hi(f, 0);
            if add {
                f.emit(I::LocalGet(h));
                f.emit(I::I64Xor);
                hi(f, 1);
                f.emit(I::LocalGet(h));
            } else {
                hi(f, 1);
                f.emit(I::I64Xor);
                hi(f, 0);
                f.emit(I::LocalGet(h));
            }
            wasm!(f;
                i64.xor i64.and i64.const(0) i64.lt_s
            );
            f.abort_if(AbortCode::Overflow);
            fresh_128(f, l, h, out)
        }
        Runtime::DecCmp => cmp_128(f, true),
        Runtime::DecEncode => encode_128(f, true),
        // DecDecode
        _ => decode_128(f, true),
    }
}

/// 10^18 shifted left until its top bit is set (it has 60 bits): the
/// divisor of the normalised long division in [`decimal_mul`].
const SCALE_NORMALISED: u64 = 1_000_000_000_000_000_000 << 4;
/// `reciprocal(SCALE_NORMALISED)`, which [`divide_2by1`] multiplies by.
const SCALE_RECIPROCAL: u64 = 0x2725_dd1d_243a_ba0e;

/// `(a, b) -> fresh a * b`: the exact 256-bit product of the magnitudes,
/// divided by 10^18 and rounded half to even, with the sign put back;
/// aborts with `Overflow` outside the Decimal range. The same results as
/// the reference `writ_abi::Decimal::checked_mul` (checked against it by
/// `vm/tests/arithmetic.rs`), without leaving Wasm: products and the
/// division use the wide-arithmetic instructions (64 × 64 → 128-bit
/// multiplication and 128-bit addition), which Cranelift compiles to the
/// machine's own.
fn decimal_mul(f: &mut FnCompiler<'_, '_>) -> Vec<ValType> {
    f.params = vec![ValType::I32, ValType::I32];
    let mut wide = || f.temp(ValType::I64);
    let [a0, a1, b0, b1, p0, p1, p2, p3] = [(); 8].map(|_| wide());
    let [x, y, m_lo, m_hi, n2, n1, n0, q1, q0, r, lo, hi] = [(); 12].map(|_| wide());
    let (negative, out) = (f.temp(ValType::I32), f.temp(ValType::I32));
    let set_pair = |f: &mut FnCompiler<'_, '_>, low: u32, high: u32| {
        f.emit(I::LocalSet(high));
        f.emit(I::LocalSet(low));
    };
    // The operands' words and the result's sign.
    for (ptr, low, high) in [(0, a0, a1), (1, b0, b1)] {
        wasm!(f;
            local.get(ptr) i64.load(mem(0, 0)) local.set(low) local.get(ptr) i64.load(mem(8, 0)) local.set(high)
        );
    }
    wasm!(f;
        local.get(a1) local.get(b1) i64.xor i64.const(0) i64.lt_s local.set(negative)
    );
    // Magnitudes (i128::MIN's is 2^127, which fits unsigned).
    for (low, high) in [(a0, a1), (b0, b1)] {
        wasm!(f;
            local.get(high) i64.const(0) i64.lt_s if(BlockType::Empty) i64.const(0) i64.const(0)
            local.get(low) local.get(high) i64.sub128
        );
        set_pair(f, low, high);
        f.emit(I::End);
    }
    // The 256-bit product p3:p2:p1:p0 from four 128-bit partial products.
    let product = |f: &mut FnCompiler<'_, '_>, u: u32, v: u32, low: u32, high: u32| {
        wasm!(f;
            local.get(u) local.get(v) i64.mul_wide_u
        );
        set_pair(f, low, high);
    };
    let add_word = |f: &mut FnCompiler<'_, '_>, low: u32, high: u32, word: u32| {
        wasm!(f;
            local.get(low) local.get(high) local.get(word) i64.const(0) i64.add128
        );
        set_pair(f, low, high);
    };
    product(f, a0, b0, p0, m_lo);
    f.emit(I::I64Const(0));
    f.emit(I::LocalSet(m_hi));
    // Middle column: a0*b1 and a1*b0 low words onto p00's high word.
    product(f, a0, b1, x, y);
    add_word(f, m_lo, m_hi, x);
    product(f, a1, b0, x, lo);
    add_word(f, m_lo, m_hi, x);
    f.emit(I::LocalGet(m_lo));
    f.emit(I::LocalSet(p1));
    // High columns: a1*b1 plus the cross products' high words and the carry.
    product(f, a1, b1, p2, p3);
    add_word(f, p2, p3, y);
    add_word(f, p2, p3, lo);
    add_word(f, p2, p3, m_hi);
    // The quotient fits 128 bits only if p3:p2 is below 10^18.
    wasm!(f;
        local.get(p3) i64.const(0) i64.ne local.get(p2) i64.const(1_000_000_000_000_000_000) i64.ge_u
        i32.or
    );
    f.abort_if(AbortCode::Overflow);
    // Normalise: shift p2:p1:p0 left by 4 so the divisor's top bit is set.
    for (target, high, low) in [(n2, p2, p1), (n1, p1, p0)] {
        wasm!(f;
            local.get(high) i64.const(4) i64.shl local.get(low) i64.const(60) i64.shr_u
            i64.or local.set(target)
        );
    }
    wasm!(f;
        local.get(p0) i64.const(4) i64.shl local.set(n0)
    );
    // Two two-by-one divisions: n2:n1 -> q1 and r, then r:n0 -> q0 and r.
    let (divisor, recip) = (Word::Const(SCALE_NORMALISED), Word::Const(SCALE_RECIPROCAL));
    divide_2by1(f, n2, n1, q1, r, x, divisor, recip);
    divide_2by1(f, r, n0, q0, r, x, divisor, recip);
    // Half to even: the remainder (still shifted by 4) against half the
    // normalised divisor; a tie goes to the even quotient.
    let half = (SCALE_NORMALISED / 2) as i64;
    wasm!(f;
        local.get(r) i64.const(half) i64.gt_u local.get(r) i64.const(half) i64.eq
        local.get(q0) i32.wrap_i64 i32.and i32.or i64.extend_i32_u local.set(x)
        local.get(q0) local.get(q1) local.get(x) i64.const(0) i64.add128
    );
    set_pair(f, lo, hi);
    // Rounding up from 2^128 - 1 wraps to zero: too large.
    wasm!(f;
        local.get(x) i32.wrap_i64 local.get(lo) local.get(hi) i64.or i64.eqz
        i32.and
    );
    f.abort_if(AbortCode::Overflow);
    signed_result(f, lo, hi, [x, y], negative, out)
}

/// A 64-bit operand of generated code: a constant or a local.
#[derive(Clone, Copy)]
enum Word {
    Const(u64),
    Local(u32),
}

impl Word {
    fn push(self, f: &mut FnCompiler<'_, '_>) {
        f.emit(match self {
            Word::Const(value) => I::I64Const(value as i64),
            Word::Local(local) => I::LocalGet(local),
        });
    }
}

/// `u1:u0 / divisor` for a normalised `divisor` (top bit set) and `u1`
/// below it, by multiplication with `reciprocal` (`floor((2^128 - 1) /
/// divisor) - 2^64`): the quotient into `q` and the remainder into `r`
/// (`scratch` is clobbered). `r` may be `u1`. Möller and Granlund,
/// "Improved division by invariant integers", algorithm 4.
#[allow(clippy::too_many_arguments)]
fn divide_2by1(
    f: &mut FnCompiler<'_, '_>,
    u1: u32,
    u0: u32,
    q: u32,
    r: u32,
    scratch: u32,
    divisor: Word,
    reciprocal: Word,
) {
    // q:scratch = reciprocal * u1 + u1:u0
    reciprocal.push(f);
    wasm!(f;
        local.get(u1) i64.mul_wide_u local.get(u0) local.get(u1) i64.add128 local.set(q)
        local.set(scratch)
    );
    // q += 1; r = u0 - q * divisor (both modulo 2^64).
    wasm!(f;
        local.get(q) i64.const(1) i64.add local.set(q) local.get(u0) local.get(q)
    );
    divisor.push(f);
    wasm!(f;
        i64.mul i64.sub local.set(r)
    );
    // The estimate is at most one too large or one too small.
    wasm!(f;
        local.get(r) local.get(scratch) i64.gt_u if(BlockType::Empty) local.get(q) i64.const(1)
        i64.sub local.set(q) local.get(r)
    );
    divisor.push(f);
    wasm!(f;
        i64.add local.set(r) end local.get(r)
    );
    divisor.push(f);
    wasm!(f;
        i64.ge_u if(BlockType::Empty) local.get(q) i64.const(1) i64.add local.set(q)
        local.get(r)
    );
    divisor.push(f);
    wasm!(f;
        i64.sub local.set(r) end
    );
}

/// The reciprocal [`divide_2by1`] needs for a normalised divisor.
fn reciprocal(normalised: u64) -> u64 {
    (u128::MAX / u128::from(normalised) - (1u128 << 64)) as u64
}

/// A fresh Decimal of magnitude `y:x` (below 2^128) with the sign
/// `negative`, built in the `scratch` words; aborts with `Overflow` when
/// the result is outside the Decimal range.
fn signed_result(
    f: &mut FnCompiler<'_, '_>,
    x: u32,
    y: u32,
    scratch: [u32; 2],
    negative: u32,
    out: u32,
) -> Vec<ValType> {
    let [lo, hi] = scratch;
    wasm!(f;
        local.get(x) local.set(lo) local.get(y) local.set(hi) local.get(negative) if(BlockType::Empty)
    );
    negate_128(f, lo, hi);
    f.emit(I::End);
    wrong_sign(f, hi, negative, x, y);
    f.abort_if(AbortCode::Overflow);
    fresh_128(f, lo, hi, out)
}

/// Pushes whether the non-zero result `hi:lo` of magnitude `y:x` has the
/// wrong sign for `negative`: outside the Decimal range (a magnitude of
/// 2^127 is representable only when negative).
fn wrong_sign(f: &mut FnCompiler<'_, '_>, hi: u32, negative: u32, x: u32, y: u32) {
    wasm!(f;
        local.get(hi) i64.const(0) i64.lt_s local.get(negative) i32.ne local.get(x)
        local.get(y) i64.or i64.const(0) i64.ne i32.and
    );
}

/// Negates `lo:hi` in place (two's complement, 128 bits).
fn negate_128(f: &mut FnCompiler<'_, '_>, lo: u32, hi: u32) {
    wasm!(f;
        i64.const(0) i64.const(0) local.get(lo) local.get(hi) i64.sub128 local.set(hi)
        local.set(lo)
    );
}

/// `(src, places, mode) -> rounded`: `src` rounded to `places` fractional
/// digits by rounding mode `mode` (its index, `Down` 0 … `HalfEven` 6),
/// the same results as the reference `Decimal::round` (checked against it
/// by `vm/tests/arithmetic.rs`); `places` of 18 or more returns `src`.
/// The magnitude is divided by the unit 10^(18 - places) with the
/// two-by-one division above, from a table of normalised units and their
/// reciprocals in static data, then multiplied back.
fn decimal_round(f: &mut FnCompiler<'_, '_>) -> Vec<ValType> {
    f.params = vec![ValType::I32, ValType::I32, ValType::I32];
    let (src, places, mode) = (0, 1, 2);
    // Per places 0..=17: unit, normalised unit, reciprocal, shift (u64 each).
    let mut table = Vec::with_capacity(18 * 32);
    for p in 0..18u32 {
        let unit = 10u64.pow(18 - p);
        let shift = unit.leading_zeros();
        let normalised = unit << shift;
        for word in [unit, normalised, reciprocal(normalised), u64::from(shift)] {
            table.extend_from_slice(&word.to_le_bytes());
        }
    }
    let at = f.ctx.data(&table);
    let mut wide = || f.temp(ValType::I64);
    let [lo, hi, unit, normalised, inverse, shift, n2, n1, n0] = [(); 9].map(|_| wide());
    let [q1, q0, r, x, y, half] = [(); 6].map(|_| wide());
    let (negative, entry, away, out) =
        (f.temp(ValType::I32), f.temp(ValType::I32), f.temp(ValType::I32), f.temp(ValType::I32));
    wasm!(f;
        local.get(places) i32.const(18) i32.ge_u if(BlockType::Empty) local.get(src) return
        end local.get(places) i32.const(32) i32.mul i32.const(at as i32) i32.add
        local.set(entry)
    );
    for (offset, local) in [(0, unit), (8, normalised), (16, inverse), (24, shift)] {
        wasm!(f;
            local.get(entry) i64.load(mem(offset, 0)) local.set(local)
        );
    }
    wasm!(f;
        local.get(src) i64.load(mem(0, 0)) local.set(lo) local.get(src) i64.load(mem(8, 0)) local.tee(hi)
        i64.const(0) i64.lt_s local.tee(negative) if(BlockType::Empty)
    );
    negate_128(f, lo, hi);
    f.emit(I::End);
    // Normalise hi:lo by the unit's shift (4 to 60, never 0 or 64) into
    // n2:n1:n0; n2 stays below the normalised unit.
    let shifted = |f: &mut FnCompiler<'_, '_>, word: u32, left: bool| {
        f.emit(I::LocalGet(word));
        if left {
            f.emit(I::LocalGet(shift));
            f.emit(I::I64Shl);
        } else {
            wasm!(f;
                i64.const(64) local.get(shift) i64.sub i64.shr_u
            );
        }
    };
    shifted(f, hi, false);
    f.emit(I::LocalSet(n2));
    shifted(f, hi, true);
    shifted(f, lo, false);
    f.emit(I::I64Or);
    f.emit(I::LocalSet(n1));
    shifted(f, lo, true);
    f.emit(I::LocalSet(n0));
    let (divisor, recip) = (Word::Local(normalised), Word::Local(inverse));
    divide_2by1(f, n2, n1, q1, r, x, divisor, recip);
    divide_2by1(f, r, n0, q0, r, x, divisor, recip);
    // The remainder (still shifted) against half the normalised unit.
    wasm!(f;
        local.get(normalised) i64.const(1) i64.shr_u local.set(half)
    );
    // away = by mode: Down 0, Up 1, Floor negative, Ceiling !negative,
    // HalfUp r >= half, HalfDown r > half, HalfEven r > half or a tie
    // with an odd quotient; never with a zero remainder.
    f.emit(I::I32Const(0));
    f.emit(I::LocalSet(away));
    for index in 1..=6 {
        wasm!(f;
            local.get(mode) i32.const(index) i32.eq if(BlockType::Empty)
        );
        let above = |f: &mut FnCompiler<'_, '_>, or_equal: bool| {
            f.emit(I::LocalGet(r));
            f.emit(I::LocalGet(half));
            f.emit(if or_equal { I::I64GeU } else { I::I64GtU });
        };
        match index {
            1 => f.emit(I::I32Const(1)),
            2 => f.emit(I::LocalGet(negative)),
            3 => {
                f.emit(I::LocalGet(negative));
                f.emit(I::I32Eqz);
            }
            4 => above(f, true),
            5 => above(f, false),
            _ => {
                above(f, false);
                wasm!(f;
                    local.get(r) local.get(half) i64.eq local.get(q0) i32.wrap_i64 i32.and
                    i32.or
                );
            }
        }
        f.emit(I::LocalSet(away));
        f.emit(I::End);
    }
    wasm!(f;
        local.get(away) local.get(r) i64.const(0) i64.ne i32.and i64.extend_i32_u
        local.set(x)
    );
    // q1:q0 += away (the quotient is below 2^125: no carry out).
    wasm!(f;
        local.get(q0) local.get(q1) local.get(x) i64.const(0) i64.add128 local.set(q1)
        local.set(q0)
    );
    // Magnitude y:x = q * unit, overflowing when it needs a third word.
    wasm!(f;
        local.get(q0) local.get(unit) i64.mul_wide_u local.set(y) local.set(x) local.get(q1)
        local.get(unit) i64.mul_wide_u local.set(n2) local.set(n1)
    );
    // y += n1, the carry and n2 must be zero.
    wasm!(f;
        local.get(y) local.get(n2) local.get(n1) i64.const(0) i64.add128 local.set(n2)
        local.set(y) local.get(n2) i64.const(0) i64.ne
    );
    f.abort_if(AbortCode::Overflow);
    signed_result(f, x, y, [lo, hi], negative, out)
}

/// u128 helpers: the same layout as a Decimal's raw (16 bytes, little
/// endian), with unsigned overflow, order and encoding (no sign flip).
fn u128_runtime(f: &mut FnCompiler<'_, '_>, r: Runtime) -> Vec<ValType> {
    let word = |f: &mut FnCompiler<'_, '_>, p: u32, offset: u64| {
        f.emit(I::LocalGet(p));
        f.emit(I::I64Load(mem(offset, 0)));
    };
    match r {
        Runtime::U128Cmp => cmp_128(f, false),
        Runtime::U128Add | Runtime::U128Sub => {
            // (a, b) -> fresh a ± b; aborts with Overflow outside 0..2^128.
            f.params = vec![ValType::I32, ValType::I32];
            let (l, h, t, out) =
                (f.temp(ValType::I64), f.temp(ValType::I64), f.temp(ValType::I64), f.temp(ValType::I32));
            if r == Runtime::U128Sub {
                f.emit(I::LocalGet(0));
                f.emit(I::LocalGet(1));
                f.call_rt(Runtime::U128Cmp);
                f.emit(I::I32Const(0));
                f.emit(I::I32LtS);
                f.abort_if(AbortCode::Overflow);
                word(f, 0, 0);
                word(f, 1, 0);
                f.emit(I::I64Sub);
                f.emit(I::LocalSet(l));
                word(f, 0, 8);
                word(f, 1, 8);
                f.emit(I::I64Sub);
                // Borrow when a's low word is below b's.
                word(f, 0, 0);
                word(f, 1, 0);
                wasm!(f;
                    i64.lt_u i64.extend_i32_u i64.sub local.set(h)
                );
            } else {
                word(f, 0, 0);
                word(f, 1, 0);
                f.emit(I::I64Add);
                f.emit(I::LocalSet(l));
                word(f, 0, 8);
                word(f, 1, 8);
                f.emit(I::I64Add);
                f.emit(I::LocalTee(t));
                word(f, 0, 8);
                f.emit(I::I64LtU);
                // The high words overflowed, or adding the carry does.
                f.emit(I::LocalGet(t));
                f.emit(I::LocalGet(l));
                word(f, 0, 0);
                wasm!(f;
                    i64.lt_u i64.extend_i32_u i64.add local.tee(h) local.get(t) i64.lt_u
                    i32.or
                );
                f.abort_if(AbortCode::Overflow);
            }
            fresh_128(f, l, h, out)
        }
        Runtime::U128Encode => encode_128(f, false),
        // U128Decode
        _ => decode_128(f, false),
    }
}

/// Leaves a fresh 16-byte value with low word `l` and high word `h`
/// (`out` is scratch).
fn fresh_128(f: &mut FnCompiler<'_, '_>, l: u32, h: u32, out: u32) -> Vec<ValType> {
    f.emit(I::I32Const(16));
    f.call_rt(Runtime::Alloc);
    wasm!(f;
        local.tee(out) local.get(l) i64.store(mem(0, 0)) local.get(out) local.get(h) i64.store(mem(8, 0))
        local.get(out)
    );
    vec![ValType::I32]
}

/// `(a, b) -> -1, 0 or 1` for two 128-bit values (16 bytes little-endian):
/// the high words compared signed (i128, a Decimal's raw) or unsigned
/// (u128), then the low words unsigned.
fn cmp_128(f: &mut FnCompiler<'_, '_>, signed: bool) -> Vec<ValType> {
    f.params = vec![ValType::I32, ValType::I32];
    let c = f.temp(ValType::I32);
    for (offset, high) in [(8, true), (0, false)] {
        let (gt, lt) = if high && signed { (I::I64GtS, I::I64LtS) } else { (I::I64GtU, I::I64LtU) };
        for cmp in [gt, lt] {
            for p in [0, 1] {
                f.emit(I::LocalGet(p));
                f.emit(I::I64Load(mem(offset, 0)));
            }
            f.emit(cmp);
        }
        f.emit(I::I32Sub);
        if high {
            wasm!(f;
                local.tee(c) if(BlockType::Result(ValType::I32)) local.get(c) else
            );
        }
    }
    f.emit(I::End);
    vec![ValType::I32]
}

/// `(dst, src)`: a 128-bit value's canonical encoding, 16 bytes
/// big-endian, with the top bit flipped when `signed` (so signed values
/// sort as bytes).
fn encode_128(f: &mut FnCompiler<'_, '_>, signed: bool) -> Vec<ValType> {
    f.params = vec![ValType::I32, ValType::I32];
    for (from, to) in [(8, 0), (0, 8)] {
        wasm!(f;
            local.get(0) local.get(1) i64.load(mem(from, 0))
        );
        if signed && from == 8 {
            f.emit(I::I64Const(i64::MIN));
            f.emit(I::I64Xor);
        }
        f.call_rt(Runtime::Bswap64);
        f.emit(I::I64Store(mem(to, 0)));
    }
    vec![]
}

/// `(src) -> fresh value` from the encoding `encode_128` writes.
fn decode_128(f: &mut FnCompiler<'_, '_>, signed: bool) -> Vec<ValType> {
    f.params = vec![ValType::I32];
    let out = f.temp(ValType::I32);
    f.emit(I::I32Const(16));
    f.call_rt(Runtime::Alloc);
    for (from, to) in [(8, 0), (0, 8)] {
        // The fresh block's address: kept from the allocation, then reread.
        f.emit(if to == 0 { I::LocalTee(out) } else { I::LocalGet(out) });
        f.emit(I::LocalGet(0));
        f.emit(I::I64Load(mem(from, 0)));
        f.call_rt(Runtime::Bswap64);
        if signed && to == 8 {
            f.emit(I::I64Const(i64::MIN));
            f.emit(I::I64Xor);
        }
        f.emit(I::I64Store(mem(to, 0)));
    }
    f.emit(I::LocalGet(out));
    vec![ValType::I32]
}

/// Pushes the length held (big-endian) in the first 4 bytes at local `p`.
fn length_of(f: &mut FnCompiler<'_, '_>, p: u32) {
    f.emit(I::LocalGet(p));
    f.emit(I::I32Load(mem(0, 0)));
    f.call_rt(Runtime::Bswap32);
}

/// Pushes `local + offset`.
fn offset(f: &mut FnCompiler<'_, '_>, local: u32, by: u32) {
    wasm!(f;
        local.get(local) local.get(by) i32.add
    );
}

/// Helpers for text and bytes, held as `u32 big-endian length ++ bytes`.
fn bytes_runtime(f: &mut FnCompiler<'_, '_>, r: Runtime) -> Vec<ValType> {
    match r {
        Runtime::KeyEscape => {
            // (src) -> [u32 native length][key form]: each 0x00 written as
            // 0x00 0xFF, then the terminator 0x00 0x00.
            f.params = vec![ValType::I32];
            let (n, i, extra, out, w, b) = (
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
            );
            length_of(f, 0);
            f.emit(I::LocalSet(n));
            // Count the zero bytes.
            let Ok(()) = f.while_below::<Infallible>(i, n, |f, _| {
                offset(f, 0, i);
                wasm!(f;
                    i32.load8_u(mem(4, 0)) i32.eqz local.get(extra) i32.add local.set(extra)
                );
                f.increment(i);
                Ok(())
            });
            // Allocate and write.
            wasm!(f;
                local.get(n) local.get(extra) i32.add i32.const(6) i32.add
            );
            f.call_rt(Runtime::Alloc);
            wasm!(f;
                local.tee(out) local.get(n) local.get(extra) i32.add i32.const(2) i32.add
                i32.store(mem(0, 0)) local.get(out) i32.const(4) i32.add local.set(w) i32.const(0)
                local.set(i)
            );
            let Ok(()) = f.while_below::<Infallible>(i, n, |f, _| {
                    offset(f, 0, i);
                    wasm!(f;
                        i32.load8_u(mem(4, 0)) local.set(b) local.get(w) local.get(b) i32.store8(mem(0, 0))
                    );
                    f.advance(w, 1);
                    wasm!(f;
                        local.get(b) i32.eqz if(BlockType::Empty) local.get(w) i32.const(0xFF) i32.store8(mem(0, 0))
                    );
                    f.advance(w, 1);
                    f.emit(I::End);
                    f.increment(i);
                    Ok(())
                },
            );
            wasm!(f;
                local.get(w) i32.const(0) i32.store16(mem(0, 0)) local.get(out)
            );
            vec![ValType::I32]
        }
        Runtime::BytesEq => {
            // (a, b) -> 1 when lengths and bytes are equal.
            f.params = vec![ValType::I32, ValType::I32];
            wasm!(f;
                local.get(0) i32.load(mem(0, 0)) local.get(1) i32.load(mem(0, 0)) i32.ne if(BlockType::Empty)
                i32.const(0) return end local.get(0) i32.const(4) i32.add
                local.get(1) i32.const(4) i32.add
            );
            length_of(f, 0);
            f.call_rt(Runtime::MemEq);
            vec![ValType::I32]
        }
        Runtime::BytesCmp => {
            // (a, b) -> -1, 0, 1 bytewise, a prefix first.
            f.params = vec![ValType::I32, ValType::I32];
            let (na, nb, i, ca, cb) = (
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
                f.temp(ValType::I32),
            );
            length_of(f, 0);
            f.emit(I::LocalSet(na));
            length_of(f, 1);
            f.emit(I::LocalSet(nb));
            let Ok(()) = f.while_loop::<Infallible>(
                |f| {
                    wasm!(f;
                        local.get(i) local.get(na) i32.ge_u local.get(i) local.get(nb) i32.ge_u
                        i32.or
                    );
                    Ok(())
                },
                |f, _| {
                    offset(f, 0, i);
                    f.emit(I::I32Load8U(mem(4, 0)));
                    f.emit(I::LocalSet(ca));
                    offset(f, 1, i);
                    wasm!(f;
                        i32.load8_u(mem(4, 0)) local.set(cb) local.get(ca) local.get(cb) i32.ne if(BlockType::Empty)
                        local.get(ca) local.get(cb) i32.gt_u local.get(ca) local.get(cb) i32.lt_u
                        i32.sub return end
                    );
                    f.increment(i);
                    Ok(())
                },
            );
            wasm!(f;
                local.get(na) local.get(nb) i32.gt_u local.get(na) local.get(nb) i32.lt_u
                i32.sub
            );
            vec![ValType::I32]
        }
        _ => {
            // Concat: (a, b) -> fresh a ++ b.
            f.params = vec![ValType::I32, ValType::I32];
            let (na, nb, out) = (f.temp(ValType::I32), f.temp(ValType::I32), f.temp(ValType::I32));
            length_of(f, 0);
            f.emit(I::LocalSet(na));
            length_of(f, 1);
            wasm!(f;
                local.set(nb) local.get(na) local.get(nb) i32.add i32.const(4) i32.add
            );
            f.call_rt(Runtime::Alloc);
            wasm!(f;
                local.tee(out) local.get(na) local.get(nb) i32.add
            );
            f.call_rt(Runtime::Bswap32);
            wasm!(f;
                i32.store(mem(0, 0)) local.get(out) i32.const(4) i32.add local.get(0) i32.const(4)
                i32.add local.get(na)
            );
            f.call_rt(Runtime::Copy);
            wasm!(f;
                local.get(out) i32.const(4) i32.add local.get(na) i32.add local.get(1)
                i32.const(4) i32.add local.get(nb)
            );
            f.call_rt(Runtime::Copy);
            f.emit(I::LocalGet(out));
            vec![ValType::I32]
        }
    }
}

/// Days since 1970-01-01 of the first and last supported days
/// (0001-01-01 and 9999-12-31).
pub(super) const DAY_MIN: i32 = -719_162;
pub(super) const DAY_MAX: i32 = 2_932_896;

/// Emits a sequence of simple instructions.
fn seq(f: &mut FnCompiler<'_, '_>, code: &[I<'static>]) {
    for i in code {
        f.emit(i.clone());
    }
}

/// Calendar helpers: the days-from-civil and civil-from-days algorithms on
/// 400-year eras (the same as `writ_abi::Date`), in 32-bit integers; every
/// intermediate is non-negative for years 1 to 9999.
fn date_runtime(f: &mut FnCompiler<'_, '_>, r: Runtime) -> Vec<ValType> {
    use I::*;
    if r == Runtime::DateFromYmd {
        // (year, month, day) -> days; aborts `Conversion` for a day that does not exist.
        f.params = vec![ValType::I32, ValType::I32, ValType::I32];
        let (y, m, d) = (0, 1, 2);
        let (dim, yy, era, yoe, doy) = (
            f.temp(ValType::I32),
            f.temp(ValType::I32),
            f.temp(ValType::I32),
            f.temp(ValType::I32),
            f.temp(ValType::I32),
        );
        // Days in the month: February 28 + leap, else 31 less one for the 30-day months.
        seq(f, &[LocalGet(m), I32Const(2), I32Eq, If(BlockType::Result(ValType::I32))]);
        seq(
            f,
            &[I32Const(28), LocalGet(y), I32Const(4), I32RemU, I32Eqz, LocalGet(y), I32Const(100), I32RemU],
        );
        seq(
            f,
            &[I32Const(0), I32Ne, I32And, LocalGet(y), I32Const(400), I32RemU, I32Eqz, I32Or, I32Add, Else],
        );
        f.emit(I32Const(31));
        for month in [4, 6, 9, 11] {
            seq(f, &[LocalGet(m), I32Const(month), I32Eq, I32Sub]);
        }
        seq(f, &[End, LocalSet(dim)]);
        // Range checks (unsigned compares also refuse negative values).
        seq(f, &[LocalGet(y), I32Const(1), I32LtU, LocalGet(y), I32Const(9999), I32GtU, I32Or]);
        seq(f, &[LocalGet(m), I32Const(1), I32LtU, I32Or, LocalGet(m), I32Const(12), I32GtU, I32Or]);
        seq(f, &[LocalGet(d), I32Const(1), I32LtU, I32Or, LocalGet(d), LocalGet(dim), I32GtU, I32Or]);
        f.abort_if(AbortCode::Conversion);
        // yy = y - (m <= 2); era = yy / 400; yoe = yy - era * 400
        seq(
            f,
            &[LocalGet(y), LocalGet(m), I32Const(2), I32LeU, I32Sub, LocalTee(yy), I32Const(400), I32DivU],
        );
        seq(f, &[LocalSet(era), LocalGet(yy), LocalGet(era), I32Const(400), I32Mul, I32Sub, LocalSet(yoe)]);
        // doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        seq(f, &[I32Const(153), LocalGet(m), I32Const(3), I32Sub, LocalGet(m), I32Const(9), I32Add]);
        seq(
            f,
            &[LocalGet(m), I32Const(2), I32GtU, Select, I32Mul, I32Const(2), I32Add, I32Const(5), I32DivU],
        );
        seq(f, &[LocalGet(d), I32Add, I32Const(1), I32Sub, LocalSet(doy)]);
        // era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468
        seq(f, &[LocalGet(era), I32Const(146_097), I32Mul, LocalGet(yoe), I32Const(365), I32Mul, I32Add]);
        seq(f, &[LocalGet(yoe), I32Const(4), I32DivU, I32Add, LocalGet(yoe), I32Const(100), I32DivU, I32Sub]);
        seq(f, &[LocalGet(doy), I32Add, I32Const(719_468), I32Sub]);
        return vec![ValType::I32];
    }
    // DateParts: (days, which) -> year (0), month (1) or day (2).
    f.params = vec![ValType::I32, ValType::I32];
    let [z, era, doe, yoe, doy, mp, m] = [0; 7].map(|_| f.temp(ValType::I32));
    seq(f, &[LocalGet(0), I32Const(719_468), I32Add, LocalTee(z), I32Const(146_097), I32DivU, LocalSet(era)]);
    seq(f, &[LocalGet(z), LocalGet(era), I32Const(146_097), I32Mul, I32Sub, LocalSet(doe)]);
    // yoe = (doe - doe/1460 + doe/36524 - doe/146096) / 365
    seq(f, &[LocalGet(doe), LocalGet(doe), I32Const(1460), I32DivU, I32Sub, LocalGet(doe), I32Const(36_524)]);
    seq(f, &[I32DivU, I32Add, LocalGet(doe), I32Const(146_096), I32DivU, I32Sub, I32Const(365), I32DivU]);
    f.emit(LocalSet(yoe));
    // doy = doe - (365*yoe + yoe/4 - yoe/100)
    seq(
        f,
        &[LocalGet(doe), LocalGet(yoe), I32Const(365), I32Mul, LocalGet(yoe), I32Const(4), I32DivU, I32Add],
    );
    seq(f, &[LocalGet(yoe), I32Const(100), I32DivU, I32Sub, I32Sub, LocalSet(doy)]);
    // mp = (5*doy + 2) / 153; m = mp < 10 ? mp + 3 : mp - 9
    seq(f, &[LocalGet(doy), I32Const(5), I32Mul, I32Const(2), I32Add, I32Const(153), I32DivU, LocalSet(mp)]);
    seq(
        f,
        &[LocalGet(mp), I32Const(3), I32Add, LocalGet(mp), I32Const(9), I32Sub, LocalGet(mp), I32Const(10)],
    );
    seq(f, &[I32LtU, Select, LocalSet(m)]);
    seq(f, &[LocalGet(1), If(BlockType::Result(ValType::I32)), LocalGet(1), I32Const(1), I32Eq]);
    seq(f, &[If(BlockType::Result(ValType::I32)), LocalGet(m), Else]);
    // day = doy - (153*mp + 2)/5 + 1
    seq(f, &[LocalGet(doy), LocalGet(mp), I32Const(153), I32Mul, I32Const(2), I32Add, I32Const(5), I32DivU]);
    seq(f, &[I32Sub, I32Const(1), I32Add, End, Else]);
    // year = yoe + era*400 + (m <= 2)
    seq(f, &[LocalGet(yoe), LocalGet(era), I32Const(400), I32Mul, I32Add, LocalGet(m), I32Const(2), I32LeU]);
    seq(f, &[I32Add, End]);
    vec![ValType::I32]
}

/// Byte-order comparison and key-form decoding, for maps.
fn key_runtime(f: &mut FnCompiler<'_, '_>, r: Runtime) -> Vec<ValType> {
    use I::*;
    if r == Runtime::MemCmp {
        // (a, a_len, b, b_len) -> -1, 0, 1: bytewise, a prefix first.
        f.params = vec![ValType::I32, ValType::I32, ValType::I32, ValType::I32];
        let [i, ca, cb] = [0; 3].map(|_| f.temp(ValType::I32));
        seq(f, &[Block(BlockType::Empty), Loop(BlockType::Empty)]);
        seq(f, &[LocalGet(i), LocalGet(1), I32GeU, LocalGet(i), LocalGet(3), I32GeU, I32Or, BrIf(1)]);
        seq(f, &[LocalGet(0), LocalGet(i), I32Add, I32Load8U(mem(0, 0)), LocalSet(ca)]);
        seq(f, &[LocalGet(2), LocalGet(i), I32Add, I32Load8U(mem(0, 0)), LocalSet(cb)]);
        seq(f, &[LocalGet(ca), LocalGet(cb), I32Ne, If(BlockType::Empty)]);
        seq(
            f,
            &[LocalGet(ca), LocalGet(cb), I32GtU, LocalGet(ca), LocalGet(cb), I32LtU, I32Sub, Return, End],
        );
        seq(f, &[LocalGet(i), I32Const(1), I32Add, LocalSet(i), Br(0), End, End]);
        seq(f, &[LocalGet(1), LocalGet(3), I32GtU, LocalGet(1), LocalGet(3), I32LtU, I32Sub]);
        return vec![ValType::I32];
    }
    // KeyUnescape: (src) -> (consumed << 32) | fresh held bytes: reads an
    // escaped key form (`00 FF` is a zero byte, `00 00` ends it).
    f.params = vec![ValType::I32];
    let [n, i, out, w, b] = [0; 5].map(|_| f.temp(ValType::I32));
    // First pass: the decoded length n and the consumed length i.
    seq(f, &[Block(BlockType::Empty), Loop(BlockType::Empty)]);
    seq(f, &[LocalGet(0), LocalGet(i), I32Add, I32Load8U(mem(0, 0)), I32Eqz, If(BlockType::Empty)]);
    seq(f, &[LocalGet(0), LocalGet(i), I32Add, I32Load8U(mem(1, 0)), I32Eqz, BrIf(2)]);
    seq(f, &[LocalGet(i), I32Const(1), I32Add, LocalSet(i), End]);
    seq(f, &[LocalGet(n), I32Const(1), I32Add, LocalSet(n), LocalGet(i), I32Const(1), I32Add, LocalSet(i)]);
    seq(f, &[Br(0), End, End]);
    // Second pass: copy, turning `00 FF` into `00`.
    f.emit(LocalGet(n));
    f.emit(I32Const(4));
    f.emit(I32Add);
    f.call_rt(Runtime::Alloc);
    f.emit(LocalTee(out));
    f.emit(LocalGet(n));
    f.call_rt(Runtime::Bswap32);
    seq(f, &[I32Store(mem(0, 0)), LocalGet(out), I32Const(4), I32Add, LocalSet(w), I32Const(0), LocalSet(i)]);
    seq(f, &[Block(BlockType::Empty), Loop(BlockType::Empty)]);
    seq(
        f,
        &[LocalGet(0), LocalGet(i), I32Add, I32Load8U(mem(0, 0)), LocalTee(b), I32Eqz, If(BlockType::Empty)],
    );
    seq(f, &[LocalGet(0), LocalGet(i), I32Add, I32Load8U(mem(1, 0)), I32Eqz, BrIf(2)]);
    seq(f, &[LocalGet(i), I32Const(1), I32Add, LocalSet(i), End]);
    seq(f, &[LocalGet(w), LocalGet(b), I32Store8(mem(0, 0)), LocalGet(w), I32Const(1), I32Add, LocalSet(w)]);
    seq(f, &[LocalGet(i), I32Const(1), I32Add, LocalSet(i), Br(0), End, End]);
    // consumed = i + 2 (the terminator)
    seq(
        f,
        &[
            LocalGet(i),
            I32Const(2),
            I32Add,
            I64ExtendI32U,
            I64Const(32),
            I64Shl,
            LocalGet(out),
            I64ExtendI32U,
            I64Or,
        ],
    );
    vec![ValType::I64]
}
