from __future__ import annotations

import logging

from harvest_widget.log import LOG_BACKUPS, MAX_LOG_BYTES, redact_value, setup_logging


def start_logging(log_file):
    handler = setup_logging(log_file)
    logging.getLogger("test").info("started")
    logging.getLogger().removeHandler(handler)
    handler.close()


def test_a_log_over_the_limit_is_rotated_when_the_next_process_starts(tmp_path):
    log_file = tmp_path / "logs" / "harvest-widget.log"
    log_file.parent.mkdir()
    log_file.write_text("x" * MAX_LOG_BYTES)
    start_logging(log_file)
    assert (tmp_path / "logs" / "harvest-widget.log.1").stat().st_size == MAX_LOG_BYTES
    assert log_file.read_text().endswith("test: started\n")
    start_logging(log_file)  # small now: appended to, not rotated
    assert log_file.read_text().count("started") == 2
    assert not (tmp_path / "logs" / "harvest-widget.log.2").exists()


def test_only_the_newest_backups_are_kept(tmp_path):
    log_file = tmp_path / "harvest-widget.log"
    for generation in range(LOG_BACKUPS + 2):
        log_file.write_text(f"{generation}" * MAX_LOG_BYTES)
        start_logging(log_file)
    backups = sorted(tmp_path.glob("harvest-widget.log.*"))
    assert [path.name for path in backups] == [f"harvest-widget.log.{n}" for n in range(1, LOG_BACKUPS + 1)]
    newest_generation = str(LOG_BACKUPS + 1)
    assert (tmp_path / "harvest-widget.log.1").read_text().startswith(newest_generation)


def test_a_known_secret_never_reaches_the_file(tmp_path):
    log_file = tmp_path / "harvest-widget.log"
    redact_value("hunter2-password")
    handler = setup_logging(log_file)
    logging.getLogger("test").warning("signing in with hunter2-password")
    logging.getLogger().removeHandler(handler)
    handler.close()
    assert "hunter2" not in log_file.read_text()
    assert "[REDACTED]" in log_file.read_text()
