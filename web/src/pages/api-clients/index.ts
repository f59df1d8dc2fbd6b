// API clients in the consoles: one tab, for a company's Masters and for operators.
export { ApiClientsTab } from './ApiClientsTab';
