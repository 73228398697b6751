# Written by hand: the lineage index (lineage/index.py) holds each artifact sequence's
# type, name and project too, so changing one of them moves the clock.

from django.db import migrations

COLUMNS = ("type", "name", "project_id")
TABLE = "registry_artifactcollection"
TRIGGER = "lineage_clock_sequence"
CLOCK = "registry_lineageclock"


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS)
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {', '.join(COLUMNS)} ON {TABLE}"
            f" WHEN NEW.kind = 'sequence' AND ({changed}) BEGIN"
            f" INSERT OR IGNORE INTO {CLOCK} (id, tick) VALUES (1, abs(random() % 1000000000000000));"
            f" UPDATE {CLOCK} SET tick = tick + 1 WHERE id = 1; END"
        )
        return
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS)
    schema_editor.execute(  # lineage_clock_tick(): migration 0013's
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {', '.join(COLUMNS)} ON {TABLE}"
        f" FOR EACH ROW WHEN (NEW.kind = 'sequence' AND ({changed}))"
        " EXECUTE FUNCTION lineage_clock_tick()"
    )


def drop_trigger(apps, schema_editor):
    on = "" if schema_editor.connection.vendor == "sqlite" else f" ON {TABLE}"
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}{on}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0013_lineage_clock")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
