//! A milter that receives what dlp-milter receives and does nothing with it:
//! the floor that `scripts/bench-postfix.sh` measures beside dlp-milter, so
//! the Postfix ratio can be read as "protocol cost" + "our cost".
//!
//! `null_milter unix:/path/milter.sock content` negotiates exactly the
//! stages and no-reply options dlp-milter does (MAIL, RCPT, headers, body,
//! end of message) and accepts every message unscanned; `... headers` asks
//! only for headers and end of message (the "trivial milter" of
//! ../shared/ECOSYSTEM.md, which never sees the body); `... eom` asks for
//! nothing but end of message (every stage and reply negotiated away): the
//! least any milter can cost Postfix, the floor of the throughput ratio.
//!
//! It runs on the same runtime flavour as `dlp-milter serve` (one
//! current-thread I/O runtime) and on the same listener (`inet:HOST:PORT`
//! too, with the same `TCP_QUICKACK` cure), so the difference between the
//! two, socket for socket, is the collecting, scanning and deciding that
//! dlp-milter adds.

use dlp_milter::milter::socket::{MilterListener, SocketSpec, UnixOptions};
use indymilter::{Actions, Callbacks, NegotiateContext, ProtoOpts, Status};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(spec), Some(mode)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: null_milter unix:/path/to.sock|inet:HOST:PORT content|headers|eom");
        std::process::exit(2);
    };
    let spec = match SocketSpec::parse(spec) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let eom_only = ProtoOpts::NO_CONNECT
        | ProtoOpts::NO_HELO
        | ProtoOpts::NO_MAIL
        | ProtoOpts::NO_RCPT
        | ProtoOpts::NO_DATA
        | ProtoOpts::NO_HEADER
        | ProtoOpts::NO_EOH
        | ProtoOpts::NO_BODY
        | ProtoOpts::NO_UNKNOWN;
    let wanted = match mode.as_str() {
        // What dlp-milter asks for (src/milter/session.rs).
        "content" => {
            ProtoOpts::NO_CONNECT
                | ProtoOpts::NO_HELO
                | ProtoOpts::NO_DATA
                | ProtoOpts::NO_EOH
                | ProtoOpts::NO_UNKNOWN
                | ProtoOpts::NOREPLY_MAIL
                | ProtoOpts::NOREPLY_RCPT
                | ProtoOpts::NOREPLY_HEADER
                | ProtoOpts::NOREPLY_BODY
                | ProtoOpts::LEADING_SPACE
        }
        "headers" => {
            (eom_only - ProtoOpts::NO_HEADER) | ProtoOpts::NOREPLY_HEADER | ProtoOpts::LEADING_SPACE
        }
        "eom" => eom_only,
        _ => {
            eprintln!("mode is content, headers or eom");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        // Anyone may connect (Postfix's user), as the bench's dlp-milter.
        let unix = UnixOptions {
            mode: Some(0o666),
            group: None,
        };
        let listener = MilterListener::bind(&spec, &unix, true)
            .await
            .expect("bind");
        let negotiate = move |cx: &mut NegotiateContext<()>, _a: Actions, offered: ProtoOpts| {
            cx.requested_opts = wanted & offered;
            cx.requested_actions = Actions::ADD_HEADER;
            Status::Continue
        };
        let quiet = || Status::Noreply;
        let callbacks = Callbacks::<()>::new()
            .on_negotiate(move |cx, a, o| Box::pin(async move { negotiate(cx, a, o) }))
            .on_mail(move |_, _| Box::pin(async move { quiet() }))
            .on_rcpt(move |_, _| Box::pin(async move { quiet() }))
            .on_header(move |_, _, _| Box::pin(async move { quiet() }))
            .on_body(move |_, _| Box::pin(async move { quiet() }))
            .on_eom(|_| Box::pin(async { Status::Accept }));
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        indymilter::run(listener, callbacks, Default::default(), stop)
            .await
            .expect("milter");
    });
}
