# Times as the pages show them (registry/templatetags/display.py `when`): with their zone,
# so the admin's dates read "2026-12-02 01:34:12 UTC", never a bare "3:41 p.m.".
DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
