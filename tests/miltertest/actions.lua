-- dlp-milter against miltertest (OpenDKIM's libmilter-based test client),
-- an independent implementation of the MTA side of the protocol.
-- Run by tests/milter_miltertest.rs with -D port=PORT. miltertest exits 1
-- without a word on a Lua error, so every step says what it does first.
-- Header values stay under 900 bytes: miltertest crashes on long ones.

local function step(what)
    mt.echo("step: " .. what)
end

local function addrs(n)
    local t = {}
    for i = 0, n - 1 do
        t[#t + 1] = "p" .. i .. "@gmail.com"
    end
    return table.concat(t, ", ")
end

-- One message; returns the connection after EOM.
local function message(conn, subject, n, qid)
    step("mail from for " .. subject)
    -- (miltertest can only send macros for CONNECT, HELO, MAIL and RCPT)
    assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "office", "i", qid) == nil)
    assert(mt.mailfrom(conn, "<office@school.example>") == nil)
    for i = 0, n - 1 do
        assert(mt.rcptto(conn, "<p" .. i .. "@gmail.com>") == nil)
    end
    step("headers for " .. subject)
    assert(mt.header(conn, "From", "office@school.example") == nil)
    assert(mt.header(conn, "To", addrs(n)) == nil)
    assert(mt.header(conn, "Cc", "head@school.example") == nil)
    assert(mt.header(conn, "Subject", subject) == nil)
    step("body for " .. subject)
    assert(mt.bodystring(conn, "Dear parents,\r\nthe trip is on Friday.\r\n") == nil)
    step("eom for " .. subject)
    assert(mt.eom(conn) == nil)
    return conn
end

step("connect to port " .. port)
local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.25)
assert(conn, "could not open connection")

-- 1 recipient: accepted untouched.
message(conn, "clean", 1, "MT1")
assert(mt.getreply(conn) == SMFIR_ACCEPT, "clean: not accepted")
assert(not mt.eom_check(conn, MT_HDRADD), "clean: header added")

-- 8 visible parents: rewrite.
message(conn, "rewrite", 8, "MT2")
assert(mt.getreply(conn) == SMFIR_ACCEPT, "rewrite: not accepted")
assert(mt.eom_check(conn, MT_HDRCHANGE, "To", "undisclosed-recipients:;"), "rewrite: To unchanged")
assert(mt.eom_check(conn, MT_HDRDELETE, "Cc"), "rewrite: Cc kept")
assert(mt.eom_check(conn, MT_HDRADD, "X-DLP-Verdict", "rewrite"), "rewrite: no verdict header")

-- 25: held in the quarantine, answered DISCARD.
message(conn, "hold", 25, "MT3")
assert(mt.getreply(conn) == SMFIR_DISCARD, "hold: not discarded")

-- 45: rejected with a 5xx quoting the policy.
message(conn, "reject", 45, "MT4")
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "reject: no reply code")

-- An aborted message leaves nothing behind for the next one.
step("abort")
assert(mt.mailfrom(conn, "<office@school.example>") == nil)
assert(mt.rcptto(conn, "<p1@gmail.com>") == nil)
assert(mt.header(conn, "To", addrs(25)) == nil)
assert(mt.abort(conn) == nil)
message(conn, "after abort", 1, "MT5")
assert(mt.getreply(conn) == SMFIR_ACCEPT, "after abort: not accepted")

step("disconnect")
assert(mt.disconnect(conn) == nil)
mt.echo("miltertest: all checks passed")
