//! Fuzzes the decoder of a message row's packed records: any bytes must read back as
//! records or as a named damage, never a panic (a damaged database file holds any bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smtplog_core::store::unpack_count(data);
});
