"""``trustledger serve``: the third front end, the ledger as its own SSH server.

A sibling of the command line and the dashboard: it never imports them. It runs them as
processes (one per session), from the command line the composition root
(``trustledger.tui.__main__``) hands it. Parts: :mod:`.keys` (the keys file), :mod:`.policy`
(which remote command each role may run), :mod:`.sessions` (a session's process on pipes or
a PTY), :mod:`.connlog` (the connection log), :mod:`.hostkey`, :mod:`.server` (asyncssh),
:mod:`.main` (starting it).
"""
