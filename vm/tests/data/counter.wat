;; A counter contract written by hand against abi/src/host.rs: a u64 in
;; storage field 0, increment (emits an event), get (a view), and entry
;; points that misbehave on purpose for the VM's tests.
(module
  (import "writ" "storage_read" (func $storage_read (param i32 i32) (result i32)))
  (import "writ" "storage_write" (func $storage_write (param i32 i32 i32 i32)))
  (import "writ" "storage_remove" (func $storage_remove (param i32 i32)))
  (import "writ" "storage_next" (func $storage_next (param i32 i32 i32 i32) (result i32)))
  (import "writ" "return_copy" (func $return_copy (param i32)))
  (import "writ" "emit" (func $emit (param i32 i32 i32)))
  (import "writ" "caller" (func $caller (param i32)))
  (import "writ" "now" (func $now (result i64)))
  (import "writ" "sha256" (func $sha256 (param i32 i32 i32)))
  (import "writ" "sm3" (func $sm3 (param i32 i32 i32)))
  (import "writ" "abort" (func $abort (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  ;; 0: the key of field 0.  16: "too big".  32..: keys 02 'a' .. 02 'e'.
  (data (i32.const 0) "\01\00\00\00\00")
  (data (i32.const 16) "too big")
  (data (i32.const 32) "\02a\02b\02c\02d\02e")
  (data (i32.const 48) "xy")

  (func (export "writ_alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
          (then (call $abort (i32.const 10) (i32.const 0) (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))
  (func (export "writ_reset") (global.set $heap (i32.const 4096)))

  (func $bswap64 (param $x i64) (result i64) (local $r i64) (local $i i32)
    (loop $l
      (local.set $r (i64.or (i64.shl (local.get $r) (i64.const 8)) (i64.and (local.get $x) (i64.const 255))))
      (local.set $x (i64.shr_u (local.get $x) (i64.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 8))))
    (local.get $r))

  ;; The counter's value (0 when absent).
  (func $load_counter (result i64) (local $len i32)
    (local.set $len (call $storage_read (i32.const 0) (i32.const 5)))
    (if (result i64) (i32.eq (local.get $len) (i32.const -1))
      (then (i64.const 0))
      (else (call $return_copy (i32.const 8)) (call $bswap64 (i64.load (i32.const 8))))))

  ;; Pack a result pointer and length.
  (func $result (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))

  ;; increment(by: u64) -> u64; emits event 0 with the new value.
  (func (export "entry.increment") (param $args i32) (param $len i32) (result i64) (local $out i32)
    (if (i32.ne (local.get $len) (i32.const 8)) (then (call $abort (i32.const 0) (i32.const 16) (i32.const 7))))
    (local.set $out (i32.const 64))
    (i64.store (local.get $out)
      (call $bswap64 (i64.add (call $load_counter) (call $bswap64 (i64.load (local.get $args))))))
    (call $storage_write (i32.const 0) (i32.const 5) (local.get $out) (i32.const 8))
    (call $emit (i32.const 0) (local.get $out) (i32.const 8))
    (call $result (local.get $out) (i32.const 8)))

  ;; get() -> u64
  (func (export "entry.get") (param i32 i32) (result i64)
    (i64.store (i32.const 64) (call $bswap64 (call $load_counter)))
    (call $result (i32.const 64) (i32.const 8)))

  ;; unit() -> (): does nothing.
  (func (export "entry.unit") (param i32 i32) (result i64) (i64.const 0))

  ;; Writes and emits, then aborts with Require("too big").
  (func (export "entry.write_then_fail") (param i32 i32) (result i64)
    (call $storage_write (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 7))
    (call $emit (i32.const 0) (i32.const 16) (i32.const 7))
    (call $abort (i32.const 0) (i32.const 16) (i32.const 7))
    (unreachable))

  (func (export "entry.spin") (param i32 i32) (result i64)
    (loop $forever (br $forever))
    (unreachable))

  (func $recurse (param $n i64) (result i64)
    (i64.add (call $recurse (i64.add (local.get $n) (i64.const 1))) (i64.const 1)))
  (func (export "entry.recurse") (param i32 i32) (result i64) (call $recurse (i64.const 0)))

  ;; Asks for 4 GiB more memory; on refusal reports ResourceLimit as the ABI says.
  (func (export "entry.grow_4gib") (param i32 i32) (result i64)
    (if (i32.eq (memory.grow (i32.const 65536)) (i32.const -1))
      (then (call $abort (i32.const 10) (i32.const 0) (i32.const 0))))
    (i64.const 0))
  ;; Asks for too much memory and traps on the refusal.
  (func (export "entry.grow_then_trap") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 2000)))
    (i32.store (i32.const 200000000) (i32.const 1))
    (i64.const 0))
  ;; Grows to the limit exactly (64 MiB): allowed.
  (func (export "entry.grow_to_limit") (param i32 i32) (result i64)
    (if (i32.eq (memory.grow (i32.const 1023)) (i32.const -1)) (then (unreachable)))
    (i64.const 0))

  ;; Returns a result that does not fit in memory.
  (func (export "entry.bad_result") (param i32 i32) (result i64) (i64.const 0xFFFF000000000010))
  ;; Passes a host function a pointer outside memory.
  (func (export "entry.bad_pointer") (param i32 i32) (result i64)
    (call $emit (i32.const 0) (i32.const -16) (i32.const 32)) (i64.const 0))
  (func (export "entry.bad_abort_code") (param i32 i32) (result i64)
    (call $abort (i32.const 99) (i32.const 0) (i32.const 0)) (i64.const 0))
  (func (export "entry.divide_by_zero") (param i32 i32) (result i64)
    (i64.extend_i32_s (i32.div_s (i32.const 1) (i32.const 0))))

  ;; sha256(args) ++ sm3(args)
  (func (export "entry.hashes") (param $args i32) (param $len i32) (result i64)
    (call $sha256 (local.get $args) (local.get $len) (i32.const 128))
    (call $sm3 (local.get $args) (local.get $len) (i32.const 160))
    (call $result (i32.const 128) (i32.const 64)))

  ;; caller() ++ now()
  (func (export "entry.who_when") (param i32 i32) (result i64)
    (call $caller (i32.const 128))
    (i64.store (i32.const 148) (call $bswap64 (call $now)))
    (call $result (i32.const 128) (i32.const 28)))

  ;; Writes 02b = "xy", removes 02c, writes 02e = "xy", then lists every
  ;; entry with prefix 02 through storage_next; the result is the return
  ;; buffers one after another (u32 key length ++ key ++ value each).
  (func (export "entry.scan") (param i32 i32) (result i64)
    (local $out i32) (local $n i32) (local $after i32) (local $after_len i32)
    (call $storage_write (i32.const 34) (i32.const 2) (i32.const 48) (i32.const 2))
    (call $storage_remove (i32.const 36) (i32.const 2))
    (call $storage_write (i32.const 40) (i32.const 2) (i32.const 48) (i32.const 2))
    (local.set $out (i32.const 8192))
    (local.set $after_len (i32.const -1))
    (block $done
      (loop $next
        (local.set $n (call $storage_next (i32.const 32) (i32.const 1) (local.get $after) (local.get $after_len)))
        (br_if $done (i32.eq (local.get $n) (i32.const -1)))
        (call $return_copy (i32.add (i32.const 8192) (local.get $out)))
        ;; The key follows its big-endian length; it is the next `after`.
        (local.set $after_len (i32.wrap_i64 (i64.shr_u (call $bswap64 (i64.extend_i32_u (i32.load (i32.add (i32.const 8192) (local.get $out))))) (i64.const 32))))
        (local.set $after (i32.add (i32.add (i32.const 8192) (local.get $out)) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (local.get $n)))
        (br $next)))
    (call $result (i32.const 16384) (i32.sub (local.get $out) (i32.const 8192))))
)
