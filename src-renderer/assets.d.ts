// Vite bundles imported stylesheets into the page's CSS file (no inline styles at runtime).
declare module '*.css';
