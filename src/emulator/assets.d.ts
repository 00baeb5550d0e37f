// esbuild's text loader (scripts/build.mjs) turns a .txt import into its contents.
declare module '*.txt' {
  const text: string;
  export default text;
}
