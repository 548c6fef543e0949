//! Fuzzes the configuration reader: any text must load or be refused with an error, never
//! a panic; a configuration that loads must write out (`config check`'s output) as TOML
//! that loads back to an equal configuration, but for the password, which is written
//! masked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtplog_core::config::{Config, Secret};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mut config) = Config::from_toml_str(text, None) {
        let shown = config.to_toml();
        if config.smtp.password.is_some() {
            config.smtp.password = Some(Secret::new("********"));
        }
        match Config::from_toml_str(&shown, None) {
            Ok(again) => assert_eq!(again, config, "written out as:\n{shown}"),
            Err(e) => panic!("written out as:\n{shown}\nwhich does not load: {e}"),
        }
    }
});
