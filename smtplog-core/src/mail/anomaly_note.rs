//! The words of a stolen-account warning: what was unusual on the day against what is
//! usual for the sender, and what to do, in the mail's language (zh_TW mails carry the
//! English text after the Chinese, as their labels do). The report of the day follows it
//! in the same mail.

use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::anomaly::Flag;
use crate::report::{Footer, Lang};

/// The preface of the warning about `flag` on `day`, in `lang`, with the links of
/// `footer` (`contact_url`, `help_url`) where it tells what to do.
pub fn anomaly_preface(flag: &Flag, day: NaiveDate, lang: Lang, footer: &Footer) -> String {
    let mut s = String::new();
    if lang == Lang::ZhTw {
        zh_tw(&mut s, flag, day, footer);
        s.push_str("\n----------------------------------------\n\n");
    }
    en(&mut s, flag, day, footer);
    s
}

fn link(url: &Option<String>) -> String {
    url.as_ref().map(|u| format!(" <{u}>")).unwrap_or_default()
}

fn zh_tw(s: &mut String, flag: &Flag, day: NaiveDate, footer: &Footer) {
    let service = footer.service_name.as_deref().unwrap_or("寄信紀錄查詢系統");
    let _ = writeln!(
        s,
        "此信為{service}的自動通知：您的帳號 {} 在 {day} 的寄信情形與平常不同，可能有他人在使用或嘗試使用您的帳號。\n",
        flag.email
    );
    s.push_str("與您平常相比，不尋常之處：\n");
    for r in &flag.reasons {
        let _ = writeln!(s, "- {}", r.text(Lang::ZhTw));
    }
    s.push_str("\n請您：\n");
    let _ = writeln!(
        s,
        "- 若這不是您本人寄的信，請立即變更密碼{}。",
        link(&footer.help_url)
    );
    let _ = writeln!(
        s,
        "- 並聯絡郵件管理人員{}，以便停止寄送並檢查您的帳號。",
        link(&footer.contact_url)
    );
    s.push_str("- 若確實是您本人寄的（例如寄給全班同學、出差在外），則不需處理。\n\n");
    s.push_str("當天的寄信紀錄如下（或見附件）。\n");
}

fn en(s: &mut String, flag: &Flag, day: NaiveDate, footer: &Footer) {
    let service = footer
        .service_name
        .as_deref()
        .unwrap_or("SMTP Log Query System");
    let _ = writeln!(
        s,
        "This is an automatic warning from {service}: on {day}, your account {} was used in ways that are unusual for it. Someone else may be using, or trying to use, your account.\n",
        flag.email
    );
    s.push_str("What was unusual, compared with your usual days:\n");
    for r in &flag.reasons {
        let _ = writeln!(s, "- {}", r.text(Lang::En));
    }
    s.push_str("\nWhat to do:\n");
    let _ = writeln!(
        s,
        "- If this was not you, change your password now{}.",
        link(&footer.help_url)
    );
    let _ = writeln!(
        s,
        "- Then contact the mail team{}, so that they can stop the sending and check your account.",
        link(&footer.contact_url)
    );
    s.push_str("- If it was you (a class mailing, a trip), there is nothing to do.\n\n");
    s.push_str("Your report of the day follows (or is attached).\n");
}
