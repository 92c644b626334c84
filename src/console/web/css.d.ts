/** Stylesheets imported by the bundle; esbuild collects them into main.css. */
declare module '*.css';
