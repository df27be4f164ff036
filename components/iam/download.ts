/** Saves text as a file in the browser, without sending it anywhere. */
export function downloadText(fileName: string, text: string, type = "text/csv;charset=utf-8") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke later: some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function csvCell(value: string) {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The layout of Huawei Cloud's credentials.csv, so existing tools can read it. */
export function credentialsCsv(userName: string, accessKeyId: string, secretAccessKey: string) {
  return `User Name,Access Key Id,Secret Access Key\r\n${[userName, accessKeyId, secretAccessKey].map(csvCell).join(",")}\r\n`;
}
