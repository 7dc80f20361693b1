# pcat: plain copy vs cat; 16 gzip parts vs zcat, pigz, parallel pigz.
compare "cat trips.csv" "$BIN/pcat $DATA/trips.csv" \
  "GNU cat" "cat $DATA/trips.csv"
compare "16 gzip parts" "$BIN/pcat $DATA/parts/*.csv.gz" \
  "zcat" "zcat $DATA/parts/*.csv.gz" \
  "pigz -dc" "pigz -dc $DATA/parts/*.csv.gz" \
  "parallel -j2 -k pigz -dc" "parallel -j2 -k pigz -dc ::: $DATA/parts/*.csv.gz"
