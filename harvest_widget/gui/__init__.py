"""The Qt shell: tray, timesheet window, dialogs, item models and the worker thread.

Only this package imports Qt. It shows `sync` snapshots and sends user actions to the engine through
`worker.EngineWorker`, which runs on its own thread; the GUI thread never waits on the network, the
keyring, SQLite or a lock.
"""
