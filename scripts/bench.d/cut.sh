# pcut: GNU-mode field cut vs cut and xsv; CSV mode vs xsv select.
compare "cut -d, -f1,4,5 trips.csv" "$BIN/pcut -d, -f1,4,5 $DATA/trips.csv" \
  "GNU cut" "cut -d, -f1,4,5 $DATA/trips.csv" \
  "xsv select" "xsv select 1,4,5 $DATA/trips.csv"
compare "pcut --csv -f1,4,5 trips.csv" "$BIN/pcut --csv -f1,4,5 $DATA/trips.csv" \
  "xsv select" "xsv select 1,4,5 $DATA/trips.csv"
