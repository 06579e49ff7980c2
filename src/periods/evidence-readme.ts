/** The evidence package's README (Russian, Kazakh, English): every text of it here, for the catalogue later. */
export function evidenceReadme(period: string, taxpayer: string | null, keyId: string): string {
  const who = taxpayer ?? '*';
  return `kzmeter — evidence package / пакет доказательств / дәлелдемелер пакеті
Period / Период / Кезең: ${period}    Taxpayer / Плательщик / Төлеуші: ${who}
Signing key (Ed25519) fingerprint / Отпечаток ключа / Кілт саусақ ізі:
  ${keyId}

== Русский ==
Пакет содержит снимок закрытого периода (snapshot.json), выгрузки для декларации (ledger.csv, totals.csv,
report.html), печати суточных показаний приборов учёта (seals/: SHA-256 по каждому показанию, цепочка и
подпись Ed25519) с их исправлениями, записи журнала аудита за период (audit.jsonl) и открытые ключи
(keys.json). manifest.json перечисляет SHA-256 каждого файла и подписан (manifest.sig).
Проверка без сервиса и без базы данных:
  kzmeter verify-evidence <файл.zip> [--key ОТПЕЧАТОК]
Код 0 — все подписи и хэши верны; код 1 — назван изменённый файл. Сверьте отпечаток ключа с тем, что
сервис отдаёт по GET /api/signing-key, или передайте его через --key.

== Қазақша ==
Пакетте жабылған кезеңнің суреті (snapshot.json), декларацияға арналған жүктемелер (ledger.csv,
totals.csv, report.html), есепке алу аспаптарының тәуліктік көрсеткіштерінің мөрлері (seals/: әр
көрсеткіш бойынша SHA-256, тізбек және Ed25519 қолтаңбасы) түзетулерімен, кезеңнің аудит журналының
жазбалары (audit.jsonl) және ашық кілттер (keys.json) бар. manifest.json әр файлдың SHA-256 тізімін
береді және қол қойылған (manifest.sig).
Қызметсіз және дерекқорсыз тексеру:
  kzmeter verify-evidence <файл.zip> [--key САУСАҚ-ІЗІ]
0 коды — барлық қолтаңбалар мен хэштер дұрыс; 1 коды — өзгертілген файл аталады. Кілттің саусақ ізін
GET /api/signing-key берген ізбен салыстырыңыз немесе --key арқылы беріңіз.

== English ==
The package holds the closed period's snapshot (snapshot.json), the declaration exports (ledger.csv,
totals.csv, report.html), the daily seals of the meters' readings (seals/: SHA-256 over every reading,
chained, Ed25519-signed) with their amendments, the period's audit-trail lines (audit.jsonl) and the public
keys (keys.json). manifest.json lists every file's SHA-256 and is signed (manifest.sig).
Check it without the service or a database:
  kzmeter verify-evidence <file.zip> [--key FINGERPRINT]
Exit 0: every signature and digest holds; exit 1 names the file that was changed. Compare the key's
fingerprint with what the service answers at GET /api/signing-key, or pass it with --key.
The seal's canonical form (to write your own verifier): docs/fees.md, "Sealed readings".
`;
}
